package dev.phaseshift.cli;

import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.workflow.MigrationActivities;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.common.converter.DataConverter;
import java.time.Instant;
import java.util.Optional;

/**
 * A step the migration is running, as Temporal sees it: the attempt it is on, why the last one
 * failed, whether retrying can help, and whether its worker still reports. The workflow cannot
 * know any of this (a step's attempts happen outside it), so the CLI reads it from the workflow's
 * pending activities, which needs no worker.
 *
 * @param activity         the step's activity type, e.g. {@code CopyTable}
 * @param state            {@code running}, {@code retrying} (waiting for the next attempt or for a worker),
 *                         {@code worker lost} (a heartbeating step went silent), {@code cancelling}
 * @param attempt          the attempt running or next to run, from 1
 * @param maximumAttempts  0 for unlimited
 * @param lastFailure      the last attempt's failure, trimmed to one line; null if none failed
 * @param lastFailureType  its type (e.g. {@code Unreachable}, {@code Transient}, {@code PrerequisiteNotMet})
 * @param retryable        whether another attempt can help (false: the run fails with this message)
 * @param silentSeconds    seconds since the last heartbeat of a heartbeating step; null for others
 * @param nextAttemptInSeconds when the next attempt starts, for a step waiting to retry; null otherwise
 * @param progress         the copy progress of its last heartbeat; null for steps that report none
 */
public record StepView(String activity, String state, int attempt, int maximumAttempts, String lastFailure,
    String lastFailureType, boolean retryable, Long silentSeconds, Long nextAttemptInSeconds, CopyProgress progress) {

  /** One line of a failure: status output is read in a terminal, and stack traces stay in the worker log. */
  static final int FAILURE_CHARS = 400;

  static StepView of(PendingActivityInfo info, DataConverter converter, Instant now) {
    CopyProgress progress = null;
    if (info.hasHeartbeatDetails() && info.getHeartbeatDetails().getPayloadsCount() > 0) {
      progress = converter.fromPayloads(0, Optional.of(info.getHeartbeatDetails()), CopyProgress.class, CopyProgress.class);
    }
    Failure failure = info.hasLastFailure() ? info.getLastFailure() : null;
    Long silent = null;
    // Only heartbeating steps have a heartbeat time (copies, and the steps that hold writes frozen).
    if (info.getState() == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && info.hasLastHeartbeatTime()) {
      silent = Math.max(0, now.getEpochSecond() - info.getLastHeartbeatTime().getSeconds());
    }
    Long nextIn = info.hasNextAttemptScheduleTime()
        ? Math.max(0, info.getNextAttemptScheduleTime().getSeconds() - now.getEpochSecond()) : null;
    boolean lastAttempt = info.getMaximumAttempts() > 0 && info.getAttempt() >= info.getMaximumAttempts();
    return new StepView(info.getActivityType().getName(), state(info, failure, silent), info.getAttempt(),
        info.getMaximumAttempts(), failure == null ? null : oneLine(message(failure)), failure == null ? null : type(failure),
        failure == null ? !lastAttempt : retryable(failure) && !lastAttempt, silent, nextIn, progress);
  }

  private static String state(PendingActivityInfo info, Failure failure, Long silent) {
    switch (info.getState()) {
      case PENDING_ACTIVITY_STATE_CANCEL_REQUESTED:
        return "cancelling";
      case PENDING_ACTIVITY_STATE_SCHEDULED:
        if (failure != null && isHeartbeatTimeout(failure)) return "worker lost";
        return info.getAttempt() > 1 ? "retrying" : "waiting for a worker";
      default:
        // Copies beat every 2 s and workers pass heartbeats on at least every 5 s (PhaseshiftWorkers):
        // half the heartbeat timeout without one is a worker that stopped, before Temporal times it out.
        if (silent != null && silent >= MigrationActivities.COPY_HEARTBEAT_TIMEOUT.toSeconds() / 2) {
          return "worker lost";
        }
        return "running";
    }
  }

  private static boolean isHeartbeatTimeout(Failure failure) {
    for (Failure f = failure; f != null; f = f.hasCause() ? f.getCause() : null) {
      if (f.hasTimeoutFailureInfo() && f.getTimeoutFailureInfo().getTimeoutType() == TimeoutType.TIMEOUT_TYPE_HEARTBEAT) {
        return true;
      }
    }
    return false;
  }

  /** The failure's own message; a timeout says which one, since its message alone is terse. */
  static String message(Failure failure) {
    if (failure.hasTimeoutFailureInfo()) {
      TimeoutType type = failure.getTimeoutFailureInfo().getTimeoutType();
      return type == TimeoutType.TIMEOUT_TYPE_HEARTBEAT
          ? "no heartbeat for " + MigrationActivities.COPY_HEARTBEAT_TIMEOUT.toSeconds() + " s: its worker stopped or was killed"
          : "timed out (" + type.name().replace("TIMEOUT_TYPE_", "").toLowerCase().replace('_', '-') + ")";
    }
    return failure.getMessage();
  }

  static String type(Failure failure) {
    if (failure.hasApplicationFailureInfo()) return failure.getApplicationFailureInfo().getType();
    if (failure.hasTimeoutFailureInfo()) return "Timeout";
    if (failure.hasCanceledFailureInfo()) return "Cancelled";
    return "Failure";
  }

  static boolean retryable(Failure failure) {
    return !(failure.hasApplicationFailureInfo() && failure.getApplicationFailureInfo().getNonRetryable());
  }

  static String oneLine(String text) {
    String line = text == null ? "" : text.replaceAll("\\s*\\n\\s*", " ").strip();
    return line.length() <= FAILURE_CHARS ? line : line.substring(0, FAILURE_CHARS - 3) + "...";
  }

  /** Whether an operator should look: the step failed before, or its worker is gone. */
  public boolean troubled() {
    return lastFailure != null || "worker lost".equals(state);
  }

  /** How an operator reads it in one line, e.g. "CopyTable: retrying, attempt 3 of 10 in 4 s; last failure (Unreachable, retrying can help): ...". */
  public String describe() {
    StringBuilder s = new StringBuilder(activity).append(": ").append(state);
    s.append(", attempt ").append(attempt).append(maximumAttempts > 0 ? " of " + maximumAttempts : "");
    if (nextAttemptInSeconds != null && !"running".equals(state)) s.append(", next in ").append(nextAttemptInSeconds).append(" s");
    if (silentSeconds != null && "worker lost".equals(state)) {
      s.append(", silent for ").append(silentSeconds).append(" s; Temporal retries it on another worker after ")
          .append(MigrationActivities.COPY_HEARTBEAT_TIMEOUT.toSeconds()).append(" s");
    }
    if (lastFailure != null) {
      s.append("; last failure (").append(lastFailureType).append(", ")
          .append(retryable ? "retrying can help" : "retrying cannot help").append("): ").append(lastFailure);
    }
    return s.toString();
  }
}
