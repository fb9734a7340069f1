package dev.phaseshift.engine;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Lag;
import dev.phaseshift.plan.MigrationPlan;

/**
 * Continuous change capture from source to target: a record of the source's changes whose start
 * is the snapshot the bulk copy reads under, and a stream applied to the target from it. In
 * PostgreSQL a publication and a replication slot, and a subscription on the target.
 */
public interface ChangeStream {
  /**
   * Creates publication and slot (or returns the ones still held by this process). Any worker
   * process can copy under the returned capture's snapshot while this one holds it.
   */
  ChangeCapture start(MigrationPlan plan);

  /** Applies changes from the slot to the target, without copying again; releases the snapshot. */
  void attach(MigrationPlan plan, ChangeCapture capture);

  Lag lag(MigrationPlan plan);

  /** Stops applying changes on the target; the slot keeps the position, nothing is lost. */
  void pause(MigrationPlan plan);

  void resume(MigrationPlan plan);

  /** Drops stream and slot and empties the target tables so the copy can start over. */
  void reset(MigrationPlan plan);

  /** Drops everything the capture created on both sides; the source is left as before. */
  void undo(MigrationPlan plan);
}
