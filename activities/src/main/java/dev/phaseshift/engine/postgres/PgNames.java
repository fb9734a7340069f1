package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.MigrationPlan;

/** Names of the objects a migration creates, derived from the plan so every retry finds them. */
public final class PgNames {
  /** Schema on the target for the migration's own bookkeeping (copy progress, switchover record). */
  public static final String BOOKKEEPING_SCHEMA = "phaseshift";

  private PgNames() {}

  public static String slot(MigrationPlan plan) {
    return plan.objectName();
  }

  public static String publication(MigrationPlan plan) {
    return plan.objectName();
  }

  public static String subscription(MigrationPlan plan) {
    return plan.objectName();
  }
}
