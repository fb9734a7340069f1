package dev.phaseshift.workflow;

import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;

/** What a failure of a step means for the run, and how to say it to an operator. */
final class Failures {
  private Failures() {}

  /** The step's own message, without the activity wrappers around it. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t instanceof ActivityFailure) t = t.getCause();
    if (t instanceof ApplicationFailure app) return app.getOriginalMessage();
    if (t instanceof TimeoutFailure timeout) return "timed out (" + timeout.getTimeoutType() + ")";
    return t.getMessage();
  }

  /**
   * The snapshot the copies read under is gone with the worker that held it: the copy must start
   * over from a new one. A copy no worker picked up in time counts the same.
   */
  static boolean snapshotLost(ActivityFailure failure) {
    Throwable cause = failure.getCause();
    if (cause instanceof ApplicationFailure app) {
      return FailureTypes.SNAPSHOT_LOST.equals(app.getType());
    }
    return cause instanceof TimeoutFailure timeout
        && timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START;
  }

  static boolean isCancellation(Throwable failure) {
    return failure instanceof CanceledFailure
        || (failure instanceof ActivityFailure && failure.getCause() instanceof CanceledFailure);
  }

  /** The switchover released its freeze because the target did not catch up in time; it may be tried again. */
  static boolean lagNotDrained(ActivityFailure failure) {
    return failure.getCause() instanceof ApplicationFailure app
        && FailureTypes.LAG_NOT_DRAINED.equals(app.getType());
  }
}
