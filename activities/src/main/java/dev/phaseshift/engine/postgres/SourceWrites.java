package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The source's write counter over the selected tables. Read inside the switchover's freeze and
 * again by verify: a difference means someone wrote to the old source after the switch.
 */
final class SourceWrites {
  private SourceWrites() {}

  /** Rows inserted, updated and deleted in the tables since statistics were last reset. */
  static long count(Connection s, List<TableInfo> tables) throws SQLException {
    // Statistics read in a transaction are cached; start from a fresh view.
    Sql.exec(s, "SELECT pg_stat_clear_snapshot()");
    long total = 0;
    for (TableInfo t : tables) {
      Long n = Sql.one(s, "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relid = ?::regclass",
          rs -> rs.getLong(1), PgInventory.quoted(t));
      if (n != null) total += n;
    }
    return total;
  }
}
