package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.ChangeStream;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Lag;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's native logical replication as the change stream: a publication of the selected
 * tables and a pgoutput slot on the source, a subscription on the target that attaches to that
 * slot without copying. The slot is created with an exported snapshot; rows read under that
 * snapshot plus everything the slot streams afterwards give every committed row exactly once.
 */
final class PgChangeStream implements ChangeStream {
  private static final Logger log = LoggerFactory.getLogger(PgChangeStream.class);
  /** Anything after {@code password=} up to the next blank, or a quoted value with escapes. */
  private static final Pattern PASSWORD = Pattern.compile("password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'?|\\S+)");

  private final SnapshotHolder snapshots;

  PgChangeStream(SnapshotHolder snapshots) {
    this.snapshots = snapshots;
  }

  @Override
  public ChangeCapture start(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    String publication = PgNames.publication(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    synchronized (snapshots.lockFor(slot)) {
      try (Connection c = source.connect()) {
        Optional<SnapshotHolder.Held> held = snapshots.get(slot);
        if (held.isPresent() && slotExists(c, slot)) {
          // A retry of a start that succeeded: the publication is left as it was when the
          // snapshot was taken, so the copy and the stream keep covering the same tables.
          SnapshotHolder.Held h = held.get();
          return new ChangeCapture(plan.objectName(), h.snapshotName(), PgLsn.position(h.consistentLsn()));
        }
        snapshots.release(slot);
        ensurePublication(c, plan, publication);
        // A slot this process does not hold the snapshot of comes from a crashed worker or an
        // earlier attempt. Nothing has been copied under it yet (copies need the snapshot), so it
        // can go and be made again with a snapshot we hold. A worker still holding the old
        // snapshot loses it, so its copies fail as SNAPSHOT_LOST instead of copying stale rows.
        endSnapshotSessions(c, slot);
        PgReplication.dropSlot(c, slot);
      } catch (SQLException e) {
        throw failure("cannot prepare publication " + publication + " on " + source, e);
      }
      Connection replication = source.connectReplication();
      try {
        // Names the session so that attach, reset and undo can end it from any worker process,
        // not only from the one holding it. Runs before the slot exists, so it costs no snapshot.
        Sql.exec(replication, "SET application_name = " + Sql.literal(snapshotSessionName(slot)));
        ReplicationSlotInfo info = replication.unwrap(PGConnection.class).getReplicationAPI()
            .createReplicationSlot()
            .logical()
            .withSlotName(slot)
            .withOutputPlugin("pgoutput")
            .make();
        String lsn = info.getConsistentPoint().asString();
        snapshots.hold(slot, replication, info.getSnapshotName(), lsn);
        log.info("created slot {} on {} with publication {}; snapshot {} at {}",
            slot, source, publication, info.getSnapshotName(), lsn);
        return new ChangeCapture(plan.objectName(), info.getSnapshotName(), PgLsn.position(lsn));
      } catch (SQLException e) {
        closeQuietly(replication);
        throw failure("cannot create replication slot " + slot + " on " + source, e);
      } catch (RuntimeException e) {
        closeQuietly(replication);
        throw e;
      }
    }
  }

  @Override
  public void attach(MigrationPlan plan, ChangeCapture capture) {
    String subscription = PgNames.subscription(plan);
    // The copy is over. The slot can be streamed while the creating connection is open (it does
    // not make the slot active), but the snapshot it pins holds back vacuum on the source.
    snapshots.release(PgNames.slot(capture));
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      if (PgReplication.subscriptionExists(t, subscription)) {
        Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
        return;
      }
      try (Connection s = source.connect()) {
        endSnapshotSessions(s, PgNames.slot(capture));
        if (!slotExists(s, PgNames.slot(capture))) {
          // The rows copied under the snapshot need exactly this slot's changes on top of them.
          throw new MigrationException(FailureTypes.SNAPSHOT_LOST,
              "replication slot " + PgNames.slot(capture) + " no longer exists on " + source
                  + "; the changes made since the copy's snapshot are lost, so the copy must"
                  + " start again from a new snapshot");
        }
      }
      String sql = "CREATE SUBSCRIPTION " + Sql.ident(subscription)
          + " CONNECTION " + Sql.literal(source.libpqConninfo())
          + " PUBLICATION " + Sql.ident(PgNames.publication(capture))
          + " WITH (create_slot = false, slot_name = " + Sql.literal(PgNames.slot(capture))
          + ", copy_data = false, enabled = true)";
      try {
        Sql.exec(t, sql);
      } catch (SQLException e) {
        // The statement carries the password; report only the server's redacted words.
        throw new IllegalStateException("cannot create subscription " + subscription + " on "
            + target + ": " + redact(e.getMessage()) + " (SQLSTATE " + e.getSQLState() + ")");
      }
      log.info("subscription {} on {} streams slot {} from {}",
          subscription, target, PgNames.slot(capture), source);
    } catch (SQLException e) {
      throw failure("cannot attach subscription " + subscription + " on " + target, e);
    }
  }

  @Override
  public Lag lag(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    try (Connection s = source.connect()) {
      return PgReplication.lag(s, PgNames.slot(plan));
    } catch (SQLException e) {
      throw failure("cannot measure replication lag on " + source, e);
    }
  }

  @Override
  public void reset(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    synchronized (snapshots.lockFor(slot)) {
      snapshots.release(slot);
      try (Connection t = target.connect()) {
        PgReplication.dropSubscription(t, PgNames.subscription(plan));
        try (Connection s = source.connect()) {
          endSnapshotSessions(s, slot);
          PgReplication.dropSlot(s, slot);
        }
        List<String> tables = PgInventory.selectedTables(t, plan).stream()
            .map(n -> Sql.qualified(n.schema(), n.name()))
            .toList();
        t.setAutoCommit(false);
        try {
          // One statement for all tables, so foreign keys between them do not stop it.
          if (!tables.isEmpty()) Sql.exec(t, "TRUNCATE " + String.join(", ", tables));
          if (PgBulkCopier.bookkeepingExists(t)) {
            try (PreparedStatement ps = t.prepareStatement(
                "DELETE FROM " + PgBulkCopier.CHUNKS + " WHERE migration = ?")) {
              ps.setString(1, plan.name());
              ps.executeUpdate();
            }
          }
          t.commit();
        } catch (SQLException e) {
          t.rollback();
          throw e;
        }
        log.info("reset copy of {}: slot {} dropped, {} target tables emptied", plan.name(), slot, tables.size());
      } catch (SQLException e) {
        throw failure("cannot reset the copy of " + plan.name(), e);
      }
    }
  }

  @Override
  public void undo(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    synchronized (snapshots.lockFor(slot)) {
      snapshots.release(slot);
      // A failing target does not stop the source's cleanup: a slot left behind makes the source
      // keep WAL without bound, while a subscription without its slot only retries quietly.
      RuntimeException targetFailure = null;
      try (Connection t = target.connect()) {
        PgReplication.dropSubscription(t, PgNames.subscription(plan));
        // A switchover that failed after creating the reverse slot leaves it behind, holding WAL.
        PgReplication.dropSlot(t, PgNames.reverseSlot(plan));
        PgReplication.dropPublication(t, PgNames.reversePublication(plan));
        Sql.exec(t, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE");
      } catch (SQLException e) {
        targetFailure = failure("cannot remove subscription and bookkeeping from " + target, e);
      } catch (RuntimeException e) {
        targetFailure = e;
      }
      try (Connection s = source.connect()) {
        // A write freeze makes new sessions read-only, ours included; DROP PUBLICATION and
        // ALTER DATABASE would be refused in a read-only transaction.
        Sql.exec(s, "SET default_transaction_read_only = off");
        Boolean frozen = Sql.one(s,
            "SELECT EXISTS (SELECT 1 FROM pg_db_role_setting r JOIN pg_database d ON d.oid = r.setdatabase"
                + " WHERE d.datname = current_database() AND r.setrole = 0"
                + " AND EXISTS (SELECT 1 FROM unnest(r.setconfig) cfg"
                + " WHERE lower(cfg) IN ('default_transaction_read_only=on',"
                + " 'default_transaction_read_only=true', 'default_transaction_read_only=1')))",
            rs -> rs.getBoolean(1));
        if (Boolean.TRUE.equals(frozen)) {
          Sql.exec(s, "ALTER DATABASE " + Sql.ident(source.database()) + " RESET default_transaction_read_only");
          log.info("released the write freeze of {}", source);
        }
        endSnapshotSessions(s, slot);
        PgReplication.dropSlot(s, slot);
        PgReplication.dropPublication(s, PgNames.publication(plan));
      } catch (SQLException e) {
        RuntimeException sourceFailure = failure("cannot remove slot and publication from " + source, e);
        if (targetFailure != null) sourceFailure.addSuppressed(targetFailure);
        throw sourceFailure;
      }
      if (targetFailure != null) throw targetFailure;
      log.info("undid change capture of {}", plan.name());
    }
  }

  /**
   * Makes the publication publish exactly the selected tables. Partitioned tables are published
   * as their root (PostgreSQL 13+), the way the bulk copy reads them, so the target's partitions
   * need not match the source's.
   */
  static void ensurePublication(Connection c, MigrationPlan plan, String publication)
      throws SQLException {
    // Unlogged tables cannot be published; the assessment blocks on them.
    List<String> wanted = PgInventory.selectedTables(c, plan).stream()
        .filter(n -> !n.unlogged())
        .map(n -> Sql.qualified(n.schema(), n.name()))
        .toList();
    int version = serverVersion(c);
    String pub = Sql.ident(publication);
    Boolean allTables = Sql.one(c, "SELECT puballtables FROM pg_publication WHERE pubname = ?",
        rs -> rs.getBoolean(1), publication);
    if (Boolean.TRUE.equals(allTables)) {
      Sql.exec(c, "DROP PUBLICATION " + pub);
      allTables = null;
    }
    if (allTables == null) {
      String with = version >= 130000 ? " WITH (publish_via_partition_root = true)" : "";
      String tables = wanted.isEmpty() ? "" : " FOR TABLE " + String.join(", ", wanted);
      Sql.exec(c, "CREATE PUBLICATION " + pub + tables + with);
      log.info("created publication {} of {} tables", publication, wanted.size());
      return;
    }
    List<String> current = Sql.query(c,
        "SELECT n.nspname, cl.relname FROM pg_publication_rel pr"
            + " JOIN pg_publication p ON p.oid = pr.prpubid"
            + " JOIN pg_class cl ON cl.oid = pr.prrelid JOIN pg_namespace n ON n.oid = cl.relnamespace"
            + " WHERE p.pubname = ?",
        rs -> Sql.qualified(rs.getString(1), rs.getString(2)), publication);
    if (new TreeSet<>(current).equals(new TreeSet<>(wanted))) return;
    if (wanted.isEmpty()) {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " DROP TABLE " + String.join(", ", current));
    } else {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " SET TABLE " + String.join(", ", wanted));
    }
    if (version >= 130000) {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " SET (publish_via_partition_root = true)");
    }
    log.info("publication {} now has {} tables", publication, wanted.size());
  }

  static String snapshotSessionName(String slot) {
    return slot + ":snapshot";
  }

  /**
   * Ends the replication session that exported the slot's snapshot, wherever it was opened. Once
   * the copy is over or abandoned, the snapshot only holds back vacuum on the source; when
   * attach runs on another worker than the copies did, this is what releases it.
   */
  static void endSnapshotSessions(Connection source, String slot) throws SQLException {
    Sql.query(source, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE backend_type = 'walsender' AND application_name = ? AND pid <> pg_backend_pid()",
        rs -> rs.getBoolean(1), snapshotSessionName(slot));
  }

  static boolean slotExists(Connection c, String slot) throws SQLException {
    return Sql.one(c, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?", rs -> 1, slot) != null;
  }

  static int serverVersion(Connection c) throws SQLException {
    return Sql.one(c, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
  }

  /** Server messages do not echo statements, but a conninfo could still appear in one. */
  static String redact(String message) {
    return message == null ? "" : PASSWORD.matcher(message).replaceAll("password=********");
  }

  private static IllegalStateException failure(String what, SQLException e) {
    // Not a MigrationException: connection drops and lock timeouts are worth retrying.
    return new IllegalStateException(what + ": " + redact(e.getMessage()), e);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // Closing only frees the session; the failure that got us here is what gets reported.
    }
  }

  /** How long pause waits for the apply worker to stop after the subscription is disabled. */
  private static final long PAUSE_WAIT_MILLIS = 15_000;

  @Override
  public void pause(MigrationPlan plan) {
    String subscription = PgNames.subscription(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      requireSubscription(t, subscription, target, "pause");
      Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
      // DISABLE only tells the apply worker to stop; it may still commit the transaction it is
      // applying. Waiting for it to exit makes "paused" mean that nothing arrives any more.
      long deadline = System.nanoTime() + PAUSE_WAIT_MILLIS * 1_000_000;
      while (applyWorkerRunning(t, subscription)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("subscription " + subscription + " on " + target
              + " is disabled but its apply worker is still running after " + PAUSE_WAIT_MILLIS / 1000
              + "s; the pause is retried");
        }
        Polling.sleep(20);
      }
      log.info("paused subscription {} on {}; slot {} keeps the position", subscription, target,
          PgNames.slot(plan));
    } catch (SQLException e) {
      throw failure("cannot pause subscription " + subscription + " on " + target, e);
    }
  }

  @Override
  public void resume(MigrationPlan plan) {
    String subscription = PgNames.subscription(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      requireSubscription(t, subscription, target, "resume");
      Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
      log.info("resumed subscription {} on {}", subscription, target);
    } catch (SQLException e) {
      throw failure("cannot resume subscription " + subscription + " on " + target, e);
    }
  }

  private static void requireSubscription(Connection t, String subscription, PgEndpoint target, String doing)
      throws SQLException {
    if (!PgReplication.subscriptionExists(t, subscription)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot " + doing + " the change stream: subscription " + subscription + " does not exist on "
              + target + "; the stream is attached after the bulk copy (or was removed by reset or undo)");
    }
  }

  static boolean applyWorkerRunning(Connection t, String subscription) throws SQLException {
    return Sql.one(t, "SELECT 1 FROM pg_stat_subscription WHERE subname = ? AND pid IS NOT NULL",
        rs -> 1, subscription) != null;
  }

}
