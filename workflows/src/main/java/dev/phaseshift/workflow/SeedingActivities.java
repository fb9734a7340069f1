package dev.phaseshift.workflow;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Physical seeding ({@code seeding.method: physical}): the steps that must run on the target host,
 * as the new data directory's operating-system user. They run on the plan's seeding queue, which
 * only a worker on that host serves; every other step of the migration runs anywhere.
 */
@ActivityInterface
public interface SeedingActivities {
  /**
   * A seeding heartbeats every few seconds while the tools run; one silent this long lost its
   * worker and is retried, which first stops what the dead worker's tools left running.
   */
  java.time.Duration SEEDING_HEARTBEAT_TIMEOUT = java.time.Duration.ofSeconds(30);

  /**
   * PREPARE's checks that need the target host; changes nothing. Blockers (tools missing or of
   * another major version than the source's, data directory not empty, port taken) come back as
   * findings whose messages say how to fix them.
   */
  @ActivityMethod(name = "CheckSeedingHost")
  List<Finding> checkSeedingHost(MigrationPlan plan);

  /**
   * Copies the source's cluster into the plan's data directory ({@code pg_basebackup}), turns it
   * into a logical subscriber of the source under the migration's own publication, slot and
   * subscription names ({@code pg_createsubscriber}) and starts it on the target's port. Returns the
   * change stream's anchor as the logical path's change capture does. Idempotent: a seeding already
   * done is returned as it is; one a dead worker left half done is removed and started over.
   */
  @ActivityMethod(name = "SeedPhysically")
  ChangeCapture seedPhysically(MigrationPlan plan);

  /**
   * The undo of {@link #seedPhysically}: the subscription, and with it the slot on the source; the
   * publication on the source; the new server stopped and its data directory removed (only a
   * directory this migration created). Idempotent.
   */
  @ActivityMethod(name = "UndoPhysicalSeeding")
  void undoPhysicalSeeding(MigrationPlan plan);
}
