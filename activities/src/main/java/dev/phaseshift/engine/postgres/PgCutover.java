package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Cutover;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;

/**
 * PostgreSQL's cutover: each step in a class of its own. The switchover and the rollback are one
 * write move ({@link WriteMove}) in opposite directions.
 */
final class PgCutover implements Cutover {
  private final PgDecommission decommission;

  PgCutover(PgTools tools) {
    this.decommission = new PgDecommission(tools);
  }

  PgCutover() {
    this(PgTools.detect());
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan) {
    return switchover(plan, () -> {});
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan, Runnable beforeFreeze) {
    return PgSwitchover.switchover(plan, beforeFreeze);
  }

  @Override
  public VerifyResult verify(MigrationPlan plan) {
    return PgVerify.verify(plan);
  }

  @Override
  public void startReverseReplication(MigrationPlan plan) {
    PgReverseReplication.start(plan);
  }

  @Override
  public RollbackResult rollback(MigrationPlan plan) {
    return PgRollback.rollback(plan);
  }

  @Override
  public void decommission(MigrationPlan plan) {
    decommission.decommission(plan);
  }

  @Override
  public List<TableStats> optimize(MigrationPlan plan) {
    return PgOptimize.optimize(plan);
  }

  @Override
  public void dropTargetObjects(MigrationPlan plan) {
    PgTargetObjects.drop(plan);
  }

  @Override
  public List<String> longWriteTransactions(MigrationPlan plan) {
    return PgLongWriteTransactions.list(plan);
  }

  @Override
  public List<String> loginsNotReady(MigrationPlan plan) {
    return PgRoleCheck.loginsNotReady(PgEndpoint.target(plan));
  }
}
