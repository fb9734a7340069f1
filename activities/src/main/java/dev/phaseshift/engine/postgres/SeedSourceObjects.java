package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * What physical seeding makes on the source: the freeze marker's table before the copy (the
 * copy then carries it, and the FOR ALL TABLES publication streams it, as the logical path's
 * publication does), and pg_createsubscriber's publication and slot under the migration's names.
 *
 * <p>The publication covers every table, Phaseshift's bookkeeping schema on the source included.
 * That is safe: the tables the target's own bookkeeping creates later (copy ledger, switchover
 * records) are not part of the subscription, so nothing the source writes reaches them, and the
 * only bookkeeping table the source writes, the freeze marker, takes rows keyed by random tokens.
 */
final class SeedSourceObjects {
  private SeedSourceObjects() {}

  /** Before the copy: the freeze marker's table, so the copy and the subscription have it. */
  static void prepare(Connection source) {
    FreezeMarker.ensureOnSource(source);
  }

  /** Whether the seeding's publication and slot are both on the source (pg_createsubscriber finished). */
  static boolean present(Connection source, MigrationPlan plan) throws SQLException {
    return PgReplication.slotExists(source, PgNames.slot(plan))
        && Sql.one(source, "SELECT 1 FROM pg_publication WHERE pubname = ?", rs -> 1, PgNames.publication(plan)) != null;
  }

  /** The stream's anchor: the slot's position, right after the conversion where the copy's subscription starts. */
  static ChangeCapture anchor(Connection source, MigrationPlan plan) throws SQLException {
    String lsn = Sql.one(source, "SELECT coalesce(confirmed_flush_lsn, restart_lsn)::text FROM pg_replication_slots"
        + " WHERE slot_name = ?", rs -> rs.getString(1), PgNames.slot(plan));
    if (lsn == null) throw new SQLException("replication slot " + PgNames.slot(plan) + " is not on the source");
    // No snapshot: nothing is copied row by row under one.
    return new ChangeCapture(plan.objectName(), null, PgLsn.position(lsn));
  }

  /**
   * Drops the seeding's slot and publication from the source, and the freeze marker's table when no
   * other publication uses it. A write freeze makes new sessions read-only, ours included.
   */
  static void drop(Connection source, MigrationPlan plan) throws SQLException {
    WriteFreeze.allowOwnWrites(source);
    PgReplication.dropSlot(source, PgNames.slot(plan));
    PgReplication.dropPublication(source, PgNames.publication(plan), PgLockBound.of(plan));
    FreezeMarker.dropFromSource(source);
  }
}
