package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A copy session's view of the source: a read-only transaction on the change capture's exported
 * snapshot, so every session of every worker reads the same point in time. When the exporting
 * worker is gone, a replica of the same snapshot held by another worker ({@link SnapshotReplica})
 * serves instead.
 */
final class SnapshotImport {
  private static final Logger log = LoggerFactory.getLogger(SnapshotImport.class);

  private SnapshotImport() {}

  /** Opens a read-only transaction on the capture's snapshot (or a replica of it), or reports it lost. */
  static void begin(Connection source, Connection target, MigrationPlan plan, ChangeCapture capture,
      TableInfo table, SnapshotHolder snapshots) throws SQLException {
    SQLException gone;
    try {
      importSnapshot(source, capture.snapshot());
      return;
    } catch (SQLException e) {
      if (!SnapshotHolder.gone(e)) throw e;
      gone = e;
    }
    // The worker that exported it stopped: the exported name is dead for good, in this process too.
    snapshots.release(PgNames.slot(capture), capture.snapshot());
    for (String replica : SnapshotReplica.recorded(target, plan, capture)) {
      try {
        importSnapshot(source, replica);
        log.info("snapshot {} is gone with its worker; {} reads replica {} of it", capture.snapshot(),
            table.qualifiedName(), replica);
        return;
      } catch (SQLException e) {
        if (!SnapshotHolder.gone(e)) throw e;
      }
    }
    throw new MigrationException(FailureTypes.SNAPSHOT_LOST,
        "cannot copy " + table.qualifiedName() + ": exported snapshot " + capture.snapshot()
            + " of slot " + PgNames.slot(capture) + " is gone, because the source no longer knows it ("
            + gone.getMessage() + "), and no worker holds a replica of it; the copy starts again from a new snapshot");
  }

  private static void importSnapshot(Connection source, String name) throws SQLException {
    Sql.exec(source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      Sql.exec(source, "SET TRANSACTION SNAPSHOT " + Sql.literal(name));
    } catch (SQLException e) {
      Sql.exec(source, "ROLLBACK");
      throw e;
    }
  }

  /** Ends the snapshot's transaction once the session has read what it needs. */
  static void end(Connection source) throws SQLException {
    Sql.exec(source, "COMMIT");
  }
}
