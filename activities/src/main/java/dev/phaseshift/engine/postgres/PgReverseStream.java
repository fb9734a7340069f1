package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** Whether the reverse stream's slot on the new primary is being read, and how far its reader trails. */
final class PgReverseStream {
  /** @param lagBytes WAL the old database has not confirmed yet; null when the slot is missing */
  record State(boolean active, Long lagBytes) {}

  private PgReverseStream() {}

  static State state(Connection t, String slot) throws SQLException {
    State state = Sql.one(t,
        "SELECT active, greatest(0, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn))::bigint"
            + " FROM pg_replication_slots WHERE slot_name = ?",
        rs -> new State(rs.getBoolean(1), rs.getLong(2)), slot);
    return state == null ? new State(false, null) : state;
  }
}
