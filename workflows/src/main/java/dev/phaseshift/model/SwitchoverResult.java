package dev.phaseshift.model;

/**
 * What happened at switchover.
 *
 * @param writeFreezeMillis   time from freezing writes on the source to the target taking writes
 * @param finalPosition       the source's position when writes moved: the target had every change up to it
 * @param sessionsTerminated  application sessions ended to stop open write transactions
 * @param routerPauseMillis   how long clients were held at the router, from PAUSE (including its
 *                            wait for running transactions) to RESUME; null when the operator
 *                            switches connections by hand
 */
public record SwitchoverResult(
    long writeFreezeMillis, Position finalPosition, int sequencesCopied, int sessionsTerminated, Long routerPauseMillis) {

  public SwitchoverResult(long writeFreezeMillis, Position finalPosition, int sequencesCopied, int sessionsTerminated) {
    this(writeFreezeMillis, finalPosition, sequencesCopied, sessionsTerminated, null);
  }

  public SwitchoverResult withRouterPause(Long millis) {
    return new SwitchoverResult(writeFreezeMillis, finalPosition, sequencesCopied, sessionsTerminated, millis);
  }
}
