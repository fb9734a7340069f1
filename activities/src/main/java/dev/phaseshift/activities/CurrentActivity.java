package dev.phaseshift.activities;

import io.temporal.activity.Activity;

/**
 * The running activity's context, for steps that tests and benchmarks also call directly, outside
 * any activity: there nobody listens to heartbeats and every call is the first attempt.
 */
final class CurrentActivity {
  private CurrentActivity() {}

  /** Heartbeats the current activity; outside one, does nothing. */
  static Runnable heartbeat() {
    try {
      var context = Activity.getExecutionContext();
      return () -> context.heartbeat(null);
    } catch (IllegalStateException notInAnActivity) {
      return () -> {};
    }
  }

  /** Temporal's attempt number; 1 outside an activity. */
  static int attempt() {
    try {
      return Activity.getExecutionContext().getInfo().getAttempt();
    } catch (IllegalStateException notInAnActivity) {
      return 1;
    }
  }
}
