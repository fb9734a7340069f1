package dev.phaseshift.engine;

import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;

/** Copies a table's rows as of the capture's snapshot; resumable chunk by chunk. */
public interface BulkCopier {
  TableCopyResult copy(MigrationPlan plan, ChangeCapture capture, TableInfo table, Heartbeat heartbeat);

  /**
   * Copies one slice of a large table, side by side with its other slices on any workers; a retry
   * skips the slice's chunks already on the target. The result counts the slice's chunks only.
   */
  TableCopyResult copySlice(MigrationPlan plan, ChangeCapture capture, TableSlice slice, Heartbeat heartbeat);

  /**
   * Keeps the capture's snapshot alive apart from the worker that took it, until its session is
   * ended with the original's (attach, reset, undo) or the heartbeat throws; returns at once if the
   * snapshot is already gone.
   *
   * @return false, at once, where the snapshot was taken: another worker must hold the replica
   */
  boolean holdSnapshotReplica(MigrationPlan plan, ChangeCapture capture, Heartbeat heartbeat);

  /**
   * Copies the batch's tables one after the other; a retry skips the tables already on the target.
   * Heartbeats report the batch's label and its tables done.
   */
  BatchCopyResult copyBatch(MigrationPlan plan, ChangeCapture capture, CopyBatch batch, Heartbeat heartbeat);

  /**
   * The copy's batches of every selected table, planned on the servers: a batch of more than one
   * table is kept on the target and returned as a reference ({@link CopyBatch#stored()}), which
   * {@link #copyBatch} reads back. For schemas whose catalog is too large to pass through the workflow.
   */
  java.util.List<CopyBatch> planBatches(MigrationPlan plan);
}
