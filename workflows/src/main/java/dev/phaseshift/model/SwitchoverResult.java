package dev.phaseshift.model;

/**
 * What happened at switchover.
 *
 * @param writeFreezeMillis   time from freezing writes on the source to the target taking writes
 * @param sessionsTerminated  application sessions ended to stop open write transactions
 * @param routerPauseMillis   how long clients were held at the router, from PAUSE (including its
 *                            wait for running transactions) to RESUME; null when the operator
 *                            switches connections by hand
 */
public record SwitchoverResult(
    long writeFreezeMillis, String finalLsn, int sequencesCopied, int sessionsTerminated, Long routerPauseMillis) {

  public SwitchoverResult(long writeFreezeMillis, String finalLsn, int sequencesCopied, int sessionsTerminated) {
    this(writeFreezeMillis, finalLsn, sequencesCopied, sessionsTerminated, null);
  }

  public SwitchoverResult withRouterPause(Long millis) {
    return new SwitchoverResult(writeFreezeMillis, finalLsn, sequencesCopied, sessionsTerminated, millis);
  }
}
