package dev.phaseshift.engine;

import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;

/** Moves writes from source to target, checks the result, and cleans up afterwards. */
public interface Cutover {
  /**
   * Freezes writes on the source, drains the stream, copies sequences and makes the target the
   * primary. When the plan keeps reverse replication, the reverse slot is created on the target
   * inside the freeze, before the target takes its first write, so the way back has no gap.
   */
  SwitchoverResult switchover(MigrationPlan plan);

  /**
   * {@link #switchover(MigrationPlan)} that runs {@code beforeFreeze} (holding traffic at the
   * router) once everything that needs no freeze is done, right before writes are frozen, so
   * clients wait only for the freeze itself. It is not run when the switchover fails earlier or was
   * already done; a failure in it fails the switchover with nothing frozen.
   */
  default SwitchoverResult switchover(MigrationPlan plan, Runnable beforeFreeze) {
    beforeFreeze.run();
    return switchover(plan);
  }

  VerifyResult verify(MigrationPlan plan);

  /**
   * Streams the target's changes back into the old source (subscription on the source attached
   * to the reverse slot, no copy), so the old database stays current for a rollback.
   */
  void startReverseReplication(MigrationPlan plan);

  /**
   * Writes go back to the source: freezes the target, drains the reverse stream, copies sequences
   * back, and makes the source writable again. Idempotent like switchover.
   */
  RollbackResult rollback(MigrationPlan plan);

  /**
   * Once the retention window is over: stops reverse replication, drops every replication object
   * and the bookkeeping on both sides, and first dumps the old database when the plan asks.
   */
  void decommission(MigrationPlan plan);

  List<TableStats> optimize(MigrationPlan plan);

  /** Compensation when the plan marks the target disposable: drops what the migration created there. */
  void dropTargetObjects(MigrationPlan plan);

  /** Write transactions open on the source longer than the plan allows, described for operators. */
  List<String> longWriteTransactions(MigrationPlan plan);

  /**
   * Application roles that could not log in on the target yet (created there without the password
   * the source keeps, since it could not be read), each with what to do; the switchover waits for
   * them. Empty when every role can.
   */
  default List<String> loginsNotReady(MigrationPlan plan) {
    return List.of();
  }
}
