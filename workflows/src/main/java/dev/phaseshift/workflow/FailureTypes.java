package dev.phaseshift.workflow;

/**
 * Application failure types that activities raise and the workflow reacts to. The type says
 * whether retrying can help: those in {@link #NON_RETRYABLE} end the step at once (retrying cannot
 * fix a bad plan or an unmet prerequisite); {@link #UNREACHABLE} and {@link #TRANSIENT} are retried.
 */
public final class FailureTypes {
  /** The plan is wrong; the message lists every problem. */
  public static final String INVALID_PLAN = "InvalidPlan";
  /** A prerequisite is not met (wal_level, missing tool, unreachable server, target not empty). */
  public static final String PREREQUISITE = "PrerequisiteNotMet";
  /** The exported snapshot died with the worker that held it; the copy must restart from a new one. */
  public static final String SNAPSHOT_LOST = "SnapshotLost";
  /** Replication lag did not reach zero within the plan's maximum freeze; writes were released. */
  public static final String LAG_NOT_DRAINED = "LagNotDrained";
  /** Source and target differ. */
  public static final String VALIDATION_FAILED = "ValidationFailed";

  /**
   * The server cannot be reached (refused, timed out, unknown host). Retried: a restart or a
   * network blip passes. In PREPARE, the first contact, only briefly: there it is usually a wrong
   * host or port, and the operator should hear so at once.
   */
  public static final String UNREACHABLE = "Unreachable";
  /** Anything else that may pass: a dropped connection, a lock timeout, a server restarting. Retried. */
  public static final String TRANSIENT = "Transient";
  /** An operator's request that the rules refused (an Update's failure; recorded in the audit trail). */
  public static final String REFUSED = "Refused";

  public static final String[] NON_RETRYABLE = {
    INVALID_PLAN, PREREQUISITE, SNAPSHOT_LOST, LAG_NOT_DRAINED, VALIDATION_FAILED
  };

  private FailureTypes() {}

  /** Whether a failure of this type is worth another attempt. */
  public static boolean retryable(String type) {
    for (String t : NON_RETRYABLE) {
      if (t.equals(type)) return false;
    }
    return true;
  }
}
