package dev.phaseshift.plan;

/** Every default of a plan, in one place. */
public final class PlanDefaults {
  public static final int COPY_PARALLELISM = 2;
  public static final String MAX_FREEZE = "30s";
  public static final long MAX_LAG_BYTES = 16L * 1024 * 1024;
  public static final boolean APPROVAL_REQUIRED = true;
  public static final String RETENTION = "48h";
  public static final String MAX_TRANSACTION_AGE = "5m";
  public static final String ON_APPROVAL_DEADLINE = "wait";
  public static final boolean REVERSE_REPLICATION = true;
  public static final String LOCK_TIMEOUT = "100ms";
  public static final String ASSESSMENT_SAMPLE = "60s";
  public static final String REHEARSAL_MAX_AGE = "7d";

  // The verification window after the switchover (VerificationPolicy).
  public static final String VERIFICATION_WINDOW = "15m";
  public static final String VERIFICATION_SAMPLE_INTERVAL = "30s";
  public static final int VERIFICATION_FAILURE_LIMIT = 2;
  public static final int VERIFICATION_CONSECUTIVE_FAILURES = 2;
  public static final double MAX_ROLLBACK_RATE_INCREASE = 0.05;
  public static final double MAX_DEADLOCK_RATE_INCREASE = 1.0;
  public static final double MAX_FAILED_SESSION_RATE_INCREASE = 5.0;
  public static final double MAX_LATENCY_RATIO = 2.0;
  public static final int VERIFICATION_MIN_CALLS = 20;
  public static final long MAX_REVERSE_LAG_BYTES = 64L * 1024 * 1024;
  /** A DBA's psql or a monitoring agent on the old database is common; a rollback for it is not wanted by default. */
  public static final String STALE_CLIENTS = "warn";
  /** Freezing rewrites every page of the copied tables; an operator opts in. */
  public static final boolean OPTIMIZE_FREEZE = false;

  private PlanDefaults() {}
}
