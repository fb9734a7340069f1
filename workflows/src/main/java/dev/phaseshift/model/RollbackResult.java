package dev.phaseshift.model;

/**
 * What happened when writes went back to the old database.
 *
 * @param writePauseMillis time from freezing the target to the source taking writes again
 * @param finalPosition    the new primary's position when writes moved back
 */
public record RollbackResult(long writePauseMillis, Position finalPosition, int sequencesCopied) {}
