package dev.phaseshift.engine;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;

/** Copies a table's rows as of the capture's snapshot; resumable chunk by chunk. */
public interface BulkCopier {
  TableCopyResult copy(MigrationPlan plan, ChangeCapture capture, TableInfo table, Heartbeat heartbeat);
}
