package dev.phaseshift.model;

/**
 * How a physically seeded target got its first copy, in place of the per-table copy results a
 * logical copy reports (no table is copied one by one, so there are none).
 *
 * @param method    {@code physical}: {@code pg_basebackup} of the source's cluster turned into a
 *                  subscriber by {@code pg_createsubscriber}
 * @param taskQueue the queue of the target-host worker that ran the tools
 * @param millis    wall time of the seeding, from its start until the change stream was attached
 */
public record SeedingResult(String method, String taskQueue, long millis) {}
