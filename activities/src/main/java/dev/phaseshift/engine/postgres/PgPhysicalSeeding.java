package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.PhysicalSeeding;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;
import java.util.function.Consumer;

/** PostgreSQL's physical seeding: pg_basebackup and pg_createsubscriber on the target host. */
final class PgPhysicalSeeding implements PhysicalSeeding {
  private final PhysicalSeedCheck check;

  PgPhysicalSeeding(PgTools tools) {
    this.check = new PhysicalSeedCheck(tools);
  }

  @Override
  public List<Finding> checkHost(MigrationPlan plan) {
    return check.check(plan);
  }

  @Override
  public ChangeCapture seed(MigrationPlan plan, Consumer<Progress> progress) {
    return new PhysicalSeeder(check).seed(plan, progress);
  }

  @Override
  public void undo(MigrationPlan plan) {
    new PhysicalSeedUndo(check).undo(plan);
  }
}
