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

  private PlanDefaults() {}
}
