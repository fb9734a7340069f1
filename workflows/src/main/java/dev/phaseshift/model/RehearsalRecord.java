package dev.phaseshift.model;

/**
 * The latest finished rehearsal of a plan, as the switchover's rehearsal gate and the assessment
 * read it.
 *
 * @param workflowId       the rehearsal's run
 * @param finishedAt       when it ended (ISO-8601)
 * @param outcome          REHEARSED, or FAILED / ABORTED when it did not get through
 * @param validationPassed whether its validation found source and target equal
 * @param result           its measurements; null when it ended before measuring
 */
public record RehearsalRecord(String workflowId, String finishedAt, String outcome, boolean validationPassed,
    RehearsalResult result) {}
