package dev.phaseshift.model;

/**
 * What happened when writes went back to the old database.
 *
 * @param writePauseMillis time from freezing the target to the source taking writes again
 */
public record RollbackResult(long writePauseMillis, String finalLsn, int sequencesCopied) {}
