package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ChangeCapture;
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

  /** The slot a capture's stream is recorded in: the stream's name is the plan's object name. */
  public static String slot(ChangeCapture capture) {
    return capture.stream();
  }

  public static String publication(ChangeCapture capture) {
    return capture.stream();
  }

  public static String subscription(MigrationPlan plan) {
    return plan.objectName();
  }

  /** Slot on the target that the old source's reverse subscription streams from after switchover. */
  public static String reverseSlot(MigrationPlan plan) {
    return plan.objectName() + "_reverse";
  }

  /** Publication on the target of the selected tables, for the reverse stream. */
  public static String reversePublication(MigrationPlan plan) {
    return plan.objectName() + "_reverse";
  }

  /** Subscription on the old source that keeps it current after switchover, so a rollback loses nothing. */
  public static String reverseSubscription(MigrationPlan plan) {
    return plan.objectName() + "_reverse";
  }
}
