package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exported snapshots of this worker process, one per replication slot. PostgreSQL keeps a
 * snapshot exported by {@code CREATE_REPLICATION_SLOT} only while the replication connection that
 * created the slot stays open and runs no further command, so the holder owns that connection,
 * never uses it, and closes it only on {@link #release}. Copies on any worker import the
 * snapshot by name while it lives; it dies with this process, and their imports then fail.
 */
public final class SnapshotHolder {
  private static final Logger log = LoggerFactory.getLogger(SnapshotHolder.class);

  /** An exported snapshot and the connection that keeps it alive; the connection is not for use. */
  public record Held(String slot, String snapshotName, String consistentLsn, Connection connection) {
    @Override
    public String toString() {
      return "snapshot " + snapshotName + " of slot " + slot + " at " + consistentLsn;
    }
  }

  private final Map<String, Held> held = new HashMap<>();
  private final Map<String, Object> slotLocks = new ConcurrentHashMap<>();

  /**
   * Keeps the snapshot of {@code slot}. A snapshot held before for the same slot is released, since
   * a slot has one snapshot and the older one belongs to a slot that no longer exists.
   */
  public void hold(String slot, Connection connection, String snapshotName, String consistentLsn) {
    Held previous;
    synchronized (held) {
      previous = held.put(slot, new Held(slot, snapshotName, consistentLsn, connection));
    }
    if (previous != null && previous.connection() != connection) close(previous);
    log.info("holding exported snapshot {} of slot {} (consistent point {})",
        snapshotName, slot, consistentLsn);
  }

  public Optional<Held> get(String slot) {
    synchronized (held) {
      return Optional.ofNullable(held.get(slot));
    }
  }

  /** Closes the connection holding the slot's snapshot; the snapshot becomes unusable. Idempotent. */
  public void release(String slot) {
    Held previous;
    synchronized (held) {
      previous = held.remove(slot);
    }
    if (previous != null) {
      close(previous);
      log.info("released exported snapshot {} of slot {}", previous.snapshotName(), slot);
    }
  }

  /** Releases the slot's snapshot only if it is still {@code snapshotName}, not a newer one. */
  public void release(String slot, String snapshotName) {
    Held previous;
    synchronized (held) {
      Held h = held.get(slot);
      if (h == null || !h.snapshotName().equals(snapshotName)) return;
      previous = held.remove(slot);
    }
    close(previous);
    log.info("released dead exported snapshot {} of slot {}", snapshotName, slot);
  }

  public void releaseAll() {
    List<String> slots;
    synchronized (held) {
      slots = new ArrayList<>(held.keySet());
    }
    slots.forEach(this::release);
  }

  /**
   * A monitor per slot, so that a start and a retry of it that Temporal runs at the same time in
   * this process do not both create the slot.
   */
  Object lockFor(String slot) {
    return slotLocks.computeIfAbsent(slot, s -> new Object());
  }

  /** The application name of the replication session that exports the slot's snapshot. */
  static String sessionName(String slot) {
    return slot + ":snapshot";
  }

  /** The application name of the sessions holding replicas of the slot's snapshot ({@link SnapshotReplica}). */
  static String replicaSessionName(String slot) {
    return slot + ":replica";
  }

  /**
   * Whether importing a snapshot failed because that snapshot is gone for good. 22023: no such
   * snapshot (the session that exported it ended, or the capture was reset); 55000: the exporting
   * process is ending. Any worker may copy, so this is how a copy learns the exporter is gone.
   */
  static boolean gone(SQLException e) {
    return "22023".equals(e.getSQLState()) || "55000".equals(e.getSQLState());
  }

  /**
   * Ends the replication session that exported the slot's snapshot, wherever it was opened. Once
   * the copy is over or abandoned, the snapshot only holds back vacuum on the source; when
   * attach runs on another worker than the copies did, this is what releases it.
   */
  static void endSessions(Connection source, String slot) throws SQLException {
    Sql.query(source, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE backend_type = 'walsender' AND application_name = ? AND pid <> pg_backend_pid()",
        rs -> rs.getBoolean(1), sessionName(slot));
    // Replicas of the snapshot (SnapshotReplica) hold vacuum back just as much.
    Sql.query(source, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE backend_type = 'client backend' AND application_name = ? AND pid <> pg_backend_pid()",
        rs -> rs.getBoolean(1), replicaSessionName(slot));
  }

  private static void close(Held h) {
    try {
      h.connection().close();
    } catch (SQLException e) {
      // The connection is gone either way; closing is only to free the server session.
      log.warn("closing the replication connection of slot {} failed: {}", h.slot(), e.getMessage());
    }
  }
}
