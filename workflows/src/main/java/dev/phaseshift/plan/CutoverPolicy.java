package dev.phaseshift.plan;

/**
 * Limits for the write freeze at switchover.
 *
 * @param maxFreeze   longest time writes may be frozen (e.g. {@code 30s}); past it the freeze is
 *                    released and the switchover reported as not done
 * @param maxLagBytes replication lag above which the freeze is not even started
 */
public record CutoverPolicy(String maxFreeze, Long maxLagBytes) {}
