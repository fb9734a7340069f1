package dev.phaseshift.model;

/**
 * What happened at switchover.
 *
 * @param writeFreezeMillis   time from freezing writes on the source to the target taking writes
 * @param sessionsTerminated  application sessions ended to stop open write transactions
 */
public record SwitchoverResult(
    long writeFreezeMillis, String finalLsn, int sequencesCopied, int sessionsTerminated) {}
