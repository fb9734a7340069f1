package dev.phaseshift.workflow;

/**
 * Application failure types that activities raise and the workflow reacts to. They are
 * non-retryable: retrying cannot fix a bad plan or an unmet prerequisite.
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

  /** An operator's request that the rules refused (an Update's failure; recorded in the audit trail). */
  public static final String REFUSED = "Refused";

  public static final String[] NON_RETRYABLE = {
    INVALID_PLAN, PREREQUISITE, SNAPSHOT_LOST, LAG_NOT_DRAINED, VALIDATION_FAILED
  };

  private FailureTypes() {}
}
