package dev.phaseshift.activities;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import io.temporal.failure.ApplicationErrorCategory;
import io.temporal.failure.ApplicationFailure;

/**
 * How a step's exception reaches Temporal: typed (so the type says whether retrying can help),
 * with the real message, and small. Temporal keeps the last failure of a step that is being
 * retried in the workflow's mutable state and replaces one over 4 KB with "Failure exceeds size
 * limit", hiding the cause from the operator; a JDBC exception with its causes' stack traces is
 * well over that. So the failure carries the messages of the whole cause chain, trimmed, and no
 * stack trace; the worker log keeps the full exception.
 */
final class StepFailures {
  /** Room for a long server message with its hint, far below the 2 KB at which Temporal warns. */
  static final int MAX_MESSAGE = 1500;
  /** Attempts at the first contact (PREPARE) before an unreachable server fails the run: a wrong host or port. */
  static final int UNREACHABLE_ATTEMPTS_AT_FIRST_CONTACT = 3;

  private StepFailures() {}

  /**
   * The snapshot replica step on the worker that took the snapshot: expected, not an error (benign:
   * logged at debug level, no failure metrics); Temporal retries the step and another worker may take it.
   */
  static ApplicationFailure replicaStepsAside(String snapshot) {
    return ApplicationFailure.newBuilder()
        .setMessage("this worker took snapshot " + snapshot + "; a replica must be held by another worker")
        .setType("SnapshotReplicaStepsAside")
        .setCategory(ApplicationErrorCategory.BENIGN)
        .build();
  }

  /**
   * @param firstContact the step is the run's first contact with the servers, where an unreachable
   *                     server is a wrong address far more often than a restart
   * @param attempt      Temporal's attempt number of this step, from 1
   */
  static ApplicationFailure of(RuntimeException e, boolean firstContact, int attempt) {
    if (e instanceof ApplicationFailure app) return app;
    String type = e instanceof MigrationException m ? m.type() : FailureTypes.TRANSIENT;
    boolean retryable = FailureTypes.retryable(type);
    String message = messages(e);
    if (FailureTypes.UNREACHABLE.equals(type) && firstContact && attempt >= UNREACHABLE_ATTEMPTS_AT_FIRST_CONTACT) {
      retryable = false;
      message = message + " [unreachable on " + attempt + " attempts; nothing was changed]";
    }
    String trimmed = trim(message);
    ApplicationFailure failure = retryable
        ? ApplicationFailure.newFailure(trimmed, type)
        : ApplicationFailure.newNonRetryableFailure(trimmed, type);
    failure.setStackTrace(new StackTraceElement[0]);
    return failure;
  }

  /** The exception's message followed by each cause's that adds something (drivers nest the reason). */
  static String messages(Throwable e) {
    StringBuilder s = new StringBuilder(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && !m.isBlank() && !s.toString().contains(m)) s.append(": ").append(m);
    }
    return s.toString();
  }

  static String trim(String message) {
    if (message.length() <= MAX_MESSAGE) return message;
    String marker = " [... " + (message.length() - MAX_MESSAGE) + " characters cut ...] ";
    int keep = MAX_MESSAGE - marker.length();
    // The start says what failed, the end often says how to fix it: keep both.
    return message.substring(0, keep * 2 / 3) + marker + message.substring(message.length() - keep / 3);
  }
}
