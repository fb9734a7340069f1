package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second life for the copy's snapshot. PostgreSQL ends an exported snapshot with the session
 * that exported it, but a transaction that imported it may export it again under a new name, and
 * that export lives as long as the importing transaction. Held on another worker than the slot's
 * creator, it lets the copy go on under the very same snapshot when the creator dies; the slot
 * itself outlives its creating session, so rows read under the snapshot plus the slot's changes
 * from its consistent point still give every row exactly once. The replica's name is recorded on
 * the target, where copies look it up once the original is gone.
 */
final class SnapshotReplica {
  private static final Logger log = LoggerFactory.getLogger(SnapshotReplica.class);
  static final String TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "snapshot_replica");
  /** How often the holder checks in; the activity's heartbeat timeout is several times this. */
  private static final long BEAT_MILLIS = 2000;

  private final SnapshotHolder snapshots;

  SnapshotReplica(SnapshotHolder snapshots) {
    this.snapshots = snapshots;
  }

  /**
   * Imports the capture's snapshot, exports it again and holds that until the session is ended
   * (attaching the stream, a reset or an undo end it with the original's, see
   * {@link SnapshotHolder#endSessions}) or the heartbeat throws (the migration is gone). Returns at
   * once when the original is already gone, since there is nothing left to keep: that is how the
   * retry after the session's end finishes.
   *
   * @return false, at once, in the process that exported the snapshot: a replica there would die
   *     with the original, so another worker must hold it
   */
  boolean hold(MigrationPlan plan, ChangeCapture capture, Heartbeat heartbeat) {
    String slot = PgNames.slot(capture);
    if (snapshots.get(slot).filter(h -> h.snapshotName().equals(capture.snapshot())).isPresent()) {
      // A replica in the creator's process would die with it: of no use. The retry may land elsewhere.
      return false;
    }
    String replica = null;
    try (Connection source = PgEndpoint.source(plan).connect(); Connection target = PgEndpoint.target(plan).connect()) {
      Sql.exec(source, "SET application_name = " + Sql.literal(SnapshotHolder.replicaSessionName(slot)));
      Sql.exec(source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        Sql.exec(source, "SET TRANSACTION SNAPSHOT " + Sql.literal(capture.snapshot()));
      } catch (SQLException e) {
        if (SnapshotHolder.gone(e)) {
          log.info("snapshot {} is gone before a replica was taken: nothing to hold", capture.snapshot());
          return true;
        }
        throw e;
      }
      replica = Sql.one(source, "SELECT pg_export_snapshot()", rs -> rs.getString(1));
      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), target);
      Sql.exec(target, "INSERT INTO " + TABLE + " (migration, snapshot, replica) VALUES ("
          + Sql.literal(plan.name()) + ", " + Sql.literal(capture.snapshot()) + ", " + Sql.literal(replica)
          + ") ON CONFLICT DO NOTHING");
      log.info("holding replica {} of snapshot {} of slot {}", replica, capture.snapshot(), slot);
      CopyProgress beat = new CopyProgress("snapshot replica " + replica, 0, 0, 0, 0);
      while (true) {
        heartbeat.beat(beat);
        // Keeps the connection honest: a session the server ended shows here, not at the next import.
        Sql.one(source, "SELECT 1", rs -> rs.getInt(1));
        Thread.sleep(BEAT_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while holding a replica of snapshot " + capture.snapshot(), e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot hold a replica of snapshot " + capture.snapshot() + ": "
          + PgEndpoint.redact(e.getMessage()), e);
    } finally {
      if (replica != null) forget(plan, capture, replica);
    }
  }

  /** Replicas of the capture's snapshot recorded on the target, newest first; none if there is no bookkeeping yet. */
  static List<String> recorded(Connection target, MigrationPlan plan, ChangeCapture capture) throws SQLException {
    List<String> names = new ArrayList<>();
    if (!Boolean.TRUE.equals(Sql.one(target, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), TABLE))) {
      return names;
    }
    Sql.query(target, "SELECT replica FROM " + TABLE + " WHERE migration = ? AND snapshot = ? ORDER BY held_since DESC",
        rs -> names.add(rs.getString(1)), plan.name(), capture.snapshot());
    return names;
  }

  /** The replica's session has ended (or ends now): its name is of no use to later imports. */
  private static void forget(MigrationPlan plan, ChangeCapture capture, String replica) {
    try (Connection target = PgEndpoint.target(plan).connect()) {
      Sql.exec(target, "DELETE FROM " + TABLE + " WHERE migration = " + Sql.literal(plan.name())
          + " AND snapshot = " + Sql.literal(capture.snapshot()) + " AND replica = " + Sql.literal(replica));
    } catch (SQLException | RuntimeException e) {
      // A stale name only costs an import a failed attempt: it is tried and skipped.
      log.warn("cannot forget replica {} of snapshot {}: {}", replica, capture.snapshot(), e.getMessage());
    }
  }
}
