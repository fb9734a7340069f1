package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Lag;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.PlanDefaults;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * The replication objects a migration creates (publication and slot on the source, subscription
 * on the target), with idempotent removal: every method may run again after a crash or retry.
 */
public final class PgReplication {
  private PgReplication() {}

  public static boolean slotExists(Connection c, String slot) throws SQLException {
    return Sql.one(c, "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?", rs -> 1, slot) != null;
  }

  public static boolean subscriptionExists(Connection target, String name) throws SQLException {
    return Sql.one(target, "SELECT 1 FROM pg_subscription WHERE subname = ?", rs -> 1, name) != null;
  }

  /**
   * Subscribes {@code subscriber} to the publisher's existing slot, without copying: the rows are
   * there already, the slot carries what changed since. The statement may hold the publisher's
   * password (see {@link PgSubscriptionAuth}), so a failure reports only the server's words, redacted.
   *
   * @param what how operators know this subscription, e.g. "the reverse subscription"
   * @param onTarget whether the subscriber is the plan's target (the forward stream)
   */
  static void subscribe(Connection subscriber, PgEndpoint on, String what, String name, PgEndpoint publisher,
      String publication, String slot, MigrationPlan plan, boolean onTarget) {
    try {
      String sql = "CREATE SUBSCRIPTION " + Sql.ident(name)
          + " CONNECTION " + Sql.literal(PgSubscriptionAuth.conninfo(subscriber, plan, publisher, onTarget))
          + " PUBLICATION " + Sql.ident(publication)
          + " WITH (create_slot = false, slot_name = " + Sql.literal(slot)
          + ", copy_data = false, enabled = true" + PgSubscriptionAuth.options(subscriber, plan) + ")";
      Sql.exec(subscriber, sql);
    } catch (SQLException e) {
      String message = "cannot create " + what + " " + name + " on " + on + ": "
          + PgEndpoint.redact(e.getMessage()) + " (SQLSTATE " + e.getSQLState() + ")";
      // The subscriber's server could not log in to the publisher: a missing or wrong password
      // file, a certificate, or a pg_hba rule; retrying will not provide them.
      String m = e.getMessage() == null ? "" : e.getMessage();
      if (m.contains("could not connect to the publisher")
          && (m.contains("password") || m.contains("authentication") || m.contains("pg_hba"))) {
        throw new MigrationException(FailureTypes.PREREQUISITE, message + "; the subscriber's server must log in to "
            + publisher + " as " + publisher.user() + ": " + plan.subscriptionAuthOrDefault().describe(), e);
      }
      throw new IllegalStateException(message);
    }
  }

  /**
   * Drops the target's subscription without letting it drop the remote slot: the slot is removed
   * separately with {@link #dropSlot}, so this works even when the source cannot be reached.
   */
  public static void dropSubscription(Connection target, String name) throws SQLException {
    if (!subscriptionExists(target, name)) return;
    String sub = Sql.ident(name);
    Sql.exec(target, "ALTER SUBSCRIPTION " + sub + " DISABLE");
    Sql.exec(target, "ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
    Sql.exec(target, "DROP SUBSCRIPTION " + sub);
  }

  /** Drops the slot, ending the session that still streams from it if there is one. */
  public static void dropSlot(Connection source, String name) throws SQLException {
    for (int attempt = 0; attempt < 50; attempt++) {
      Integer activePid = Sql.one(source,
          "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = ?",
          rs -> rs.getInt(1), name);
      if (activePid == null) return;
      if (activePid != 0) {
        Sql.one(source, "SELECT pg_terminate_backend(?)", rs -> rs.getBoolean(1), activePid);
        Polling.sleep(100);
        continue;
      }
      try {
        Sql.one(source, "SELECT pg_drop_replication_slot(?)", rs -> 1, name);
        return;
      } catch (SQLException e) {
        // 55006: the slot became active again between the check and the drop; try once more.
        if (!"55006".equals(e.getSQLState())) throw e;
        Polling.sleep(100);
      }
    }
    throw new SQLException("replication slot " + name + " stays in use; end the session using it");
  }

  /**
   * Takes the publication's tables out of it, then drops it. A backend writing a published table
   * looks up the table's publications by id; dropping a publication in the middle of that fails
   * the application's statement with "cache lookup failed for publication" (seen under pgbench on
   * PostgreSQL 15.18). Once the tables are out, writers stop looking the publication up while it
   * still exists, and the drop concerns no table anyone writes.
   */
  public static void dropPublication(Connection c, String name) throws SQLException {
    dropPublication(c, name, DurationText.parse(PlanDefaults.LOCK_TIMEOUT));
  }

  /**
   * {@link #dropPublication(Connection, String)}, waiting at most {@code lockTimeout} at a time for
   * the tables' locks (taking a table out takes SHARE UPDATE EXCLUSIVE on it), so the application
   * never queues behind the drop.
   */
  public static void dropPublication(Connection c, String name, Duration lockTimeout) throws SQLException {
    PgLockBound.retryingRun(c, lockTimeout, "taking the tables out of publication " + name,
        () -> dropPublicationOnce(c, name));
  }

  private static void dropPublicationOnce(Connection c, String name) throws SQLException {
    List<String> tables = Sql.query(c, "SELECT r.prrelid::regclass::text FROM pg_publication_rel r"
        + " JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname = ?", rs -> rs.getString(1), name);
    if (!tables.isEmpty()) {
      Sql.exec(c, "ALTER PUBLICATION " + Sql.ident(name) + " DROP TABLE " + String.join(", ", tables));
    }
    Sql.exec(c, "DROP PUBLICATION IF EXISTS " + Sql.ident(name));
  }

  /**
   * How far the slot's consumer trails the source's current WAL position. The subscriber confirms
   * a position only after applying and flushing everything before it, so zero lag means the target
   * has every committed change.
   */
  public static Lag lag(Connection source, String slot) throws SQLException {
    Lag lag = Sql.one(source,
        "SELECT greatest(0, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn))::bigint,"
            + " pg_current_wal_insert_lsn()::text, confirmed_flush_lsn::text"
            + " FROM pg_replication_slots WHERE slot_name = ?",
        rs -> new Lag(rs.getLong(1), PgLsn.position(rs.getString(2)), PgLsn.position(rs.getString(3))), slot);
    if (lag == null) throw new SQLException("replication slot " + slot + " does not exist on the source");
    return lag;
  }

}
