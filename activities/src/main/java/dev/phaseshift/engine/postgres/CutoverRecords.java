package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The switchover and rollback records on the target: what makes both moves idempotent. A retry
 * that finds the record knows the move happened and returns what was recorded.
 */
final class CutoverRecords {
  static final String SWITCHOVER_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "switchover");
  static final String ROLLBACK_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "rollback");

  private CutoverRecords() {}

  /** A switchover as recorded, with the source's write counter at the switch for verify. */
  record Switched(SwitchoverResult result, long sourceWrites) {}

  /**
   * A rollback as recorded on the target. It is written once the target is frozen and drained and
   * sequences are back on the source; {@code completed} once the source takes writes again.
   */
  record RolledBack(String finalLsn, int sequencesCopied, long frozenAtEpochMillis, Long writePauseMillis) {
    boolean completed() {
      return writePauseMillis != null;
    }

    RollbackResult result() {
      return new RollbackResult(writePauseMillis, PgLsn.position(finalLsn), sequencesCopied);
    }
  }

  static Switched switched(PgSession target, MigrationPlan plan) {
    return target.call("reading the switchover record", t -> {
      if (!tableExists(t, SWITCHOVER_TABLE)) return null;
      return Sql.one(t, "SELECT write_freeze_millis, final_lsn, sequences_copied, sessions_terminated,"
              + " source_writes FROM " + SWITCHOVER_TABLE + " WHERE migration = ?",
          rs -> new Switched(new SwitchoverResult(rs.getLong(1), PgLsn.position(rs.getString(2)), rs.getInt(3), rs.getInt(4)),
              rs.getLong(5)),
          plan.name());
    });
  }

  /** Inserts the switchover record; the caller commits it together with the subscription's stop. */
  static void recordSwitchover(Connection t, MigrationPlan plan, SwitchoverResult r, long sourceWrites)
      throws SQLException {
    Sql.one(t, "INSERT INTO " + SWITCHOVER_TABLE + " (migration, write_freeze_millis, final_lsn,"
            + " sequences_copied, sessions_terminated, source_writes) VALUES (?, ?, ?, ?, ?, ?) RETURNING 1",
        rs -> 1, plan.name(), r.writeFreezeMillis(), r.finalPosition().label(), r.sequencesCopied(), r.sessionsTerminated(),
        sourceWrites);
  }

  static RolledBack rolledBack(PgSession target, MigrationPlan plan) {
    return target.call("reading the rollback record", t -> {
      if (!tableExists(t, ROLLBACK_TABLE)) return null;
      return Sql.one(t, "SELECT final_lsn, sequences_copied, frozen_at_millis, write_pause_millis FROM "
              + ROLLBACK_TABLE + " WHERE migration = ?",
          rs -> new RolledBack(rs.getString(1), rs.getInt(2), rs.getLong(3),
              rs.getObject(4) == null ? null : rs.getLong(4)),
          plan.name());
    });
  }

  static void recordRollback(Connection t, MigrationPlan plan, RolledBack r) throws SQLException {
    Sql.one(t, "INSERT INTO " + ROLLBACK_TABLE + " (migration, final_lsn, sequences_copied, frozen_at_millis)"
            + " VALUES (?, ?, ?, ?) RETURNING 1",
        rs -> 1, plan.name(), r.finalLsn(), r.sequencesCopied(), r.frozenAtEpochMillis());
  }

  static void completeRollback(PgSession target, MigrationPlan plan, long pauseMillis) {
    target.one("completing the rollback record", "UPDATE " + ROLLBACK_TABLE
        + " SET write_pause_millis = ?, completed_at = now() WHERE migration = ? RETURNING 1",
        rs -> 1, pauseMillis, plan.name());
  }

  /**
   * A migration that switched over to this target and has not rolled back, as {migration, when
   * it switched}, or null: while there is one, the target's tables hold the application's data.
   * Any migration's, not only this plan's, so a plan aimed at another migration's new primary
   * learns it.
   */
  static String[] liveSwitchover(Connection t) throws SQLException {
    if (!tableExists(t, SWITCHOVER_TABLE)) return null;
    String rolledBack = tableExists(t, ROLLBACK_TABLE) ? " AND NOT EXISTS (SELECT 1 FROM " + ROLLBACK_TABLE
        + " r WHERE r.migration = s.migration AND r.completed_at IS NOT NULL)" : "";
    return Sql.one(t, "SELECT s.migration, to_char(s.switched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            + " FROM " + SWITCHOVER_TABLE + " s WHERE true" + rolledBack + " ORDER BY s.switched_at DESC LIMIT 1",
        rs -> new String[] {rs.getString(1), rs.getString(2)});
  }

  private static boolean tableExists(Connection t, String table) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(t, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), table));
  }
}
