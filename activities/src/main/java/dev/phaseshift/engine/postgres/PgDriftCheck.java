package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;

/**
 * A scheduled drift check compares the two databases through the stream that keeps them equal at
 * the time it runs: before the switchover the forward one (source's slot, target subscribes);
 * after it, while the old database is kept for a rollback, the reverse one (target's slot, old
 * source subscribes), with the new primary as the side that is pinned first. The target's
 * switchover and rollback records say which phase the migration is in. With no stream running
 * there is nothing consistent to compare at, and the check says why instead of giving advice that
 * cannot be followed.
 */
final class PgDriftCheck {
  private PgDriftCheck() {}

  /** A comparison at a point of the stream recorded in the named slot on the plan's source. */
  @FunctionalInterface
  interface Comparison {
    ValidationResult at(MigrationPlan plan, String slot);
  }

  static ValidationResult check(Comparison validator, MigrationPlan plan) {
    boolean switched;
    boolean rolledBack;
    boolean forward;
    boolean reverse;
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      switched = CutoverRecords.switched(t, plan) != null;
      CutoverRecords.RolledBack back = CutoverRecords.rolledBack(t, plan);
      rolledBack = back != null && back.completed();
      forward = s.call("looking for the change stream", c -> PgReplication.slotExists(c, PgNames.slot(plan)));
      reverse = t.call("looking for the reverse stream", c -> PgReplication.slotExists(c, PgNames.reverseSlot(plan)));
    }
    if ((!switched || rolledBack) && forward) return validator.at(plan, PgNames.slot(plan));
    if (switched && !rolledBack && reverse) {
      return validator.at(reversed(plan), PgNames.reverseSlot(plan));
    }
    throw new MigrationException(FailureTypes.PREREQUISITE, plan.name() + ": " + noStream(plan, switched, rolledBack)
        + "; there is no stream to compare through, so this check cannot tell drift from writes in flight."
        + " Pause or delete the drift check's schedule (phaseshift schedule delete drift-check-" + plan.name() + ")");
  }

  private static String noStream(MigrationPlan plan, boolean switched, boolean rolledBack) {
    if (rolledBack) {
      return "the migration was rolled back and its change streams are gone; the source is the only primary";
    }
    if (switched) {
      return "the migration has switched over to the target and no reverse stream runs (reverseReplication is "
          + (Boolean.FALSE.equals(plan.reverseReplication()) ? "off" : "over: the retention window ended") + ")";
    }
    return "no change stream of this migration runs: it has not started streaming yet, was undone (aborted,"
        + " failed), or has ended and its streams were decommissioned (completed, rolled back)";
  }

  /** The migration seen from the new primary: what the reverse stream carries, from target to old source. */
  static MigrationPlan reversed(MigrationPlan p) {
    return new MigrationPlan(p.name(), p.target(), p.source(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl(), p.mode(),
        p.lockTimeout(), p.retiredClients(), p.subscriptionAuth(), p.verification(), p.optimize(), p.assessment());
  }
}
