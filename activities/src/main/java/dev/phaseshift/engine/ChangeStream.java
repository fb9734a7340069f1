package dev.phaseshift.engine;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Lag;
import dev.phaseshift.plan.MigrationPlan;

/**
 * Continuous change capture from source to target: a replication slot whose creation exports the
 * snapshot the bulk copy reads under, and a stream applied to the target from that slot.
 */
public interface ChangeStream {
  /** Creates publication and slot (or returns the ones still held by this process). */
  ChangeCapture start(MigrationPlan plan, String copyTaskQueue);

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
