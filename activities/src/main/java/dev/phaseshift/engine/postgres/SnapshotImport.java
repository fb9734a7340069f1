package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A copy session's view of the source: a read-only transaction on the change capture's exported
 * snapshot, so every session of every worker reads the same point in time.
 */
final class SnapshotImport {
  private SnapshotImport() {}

  /** Opens a read-only transaction on the capture's exported snapshot, or reports it lost. */
  static void begin(Connection source, ChangeCapture capture, TableInfo table, SnapshotHolder snapshots)
      throws SQLException {
    Sql.exec(source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      Sql.exec(source, "SET TRANSACTION SNAPSHOT " + Sql.literal(capture.snapshot()));
    } catch (SQLException e) {
      // 22023: no such snapshot (the worker that exported it stopped, or the capture was reset);
      // 55000: the exporting process is ending. Either way the snapshot is gone for good. Any
      // worker may copy, so this is how a copy learns that the exporting worker is gone.
      if ("22023".equals(e.getSQLState()) || "55000".equals(e.getSQLState())) {
        snapshots.release(PgNames.slot(capture), capture.snapshot());
        throw new MigrationException(FailureTypes.SNAPSHOT_LOST,
            "cannot copy " + table.qualifiedName() + ": exported snapshot " + capture.snapshot()
                + " of slot " + PgNames.slot(capture) + " is gone, because the source no longer knows it ("
                + e.getMessage() + "); the copy starts again from a new snapshot");
      }
      throw e;
    }
  }

  /** Ends the snapshot's transaction once the session has read what it needs. */
  static void end(Connection source) throws SQLException {
    Sql.exec(source, "COMMIT");
  }
}
