package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.UnusedIndex;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Indexes of the selected tables that the source never scanned since its statistics were reset,
 * and what they take on the new primary, where they were built anyway. Unique and primary-key
 * indexes enforce constraints and are never listed.
 */
final class PgUnusedIndexes {
  static final int LISTED = 50;

  private PgUnusedIndexes() {}

  static List<UnusedIndex> find(Connection s, Connection t, List<TableInfo> tables) throws SQLException {
    Sql.exec(s, "SELECT pg_stat_clear_snapshot()");
    String since = Sql.one(s, "SELECT coalesce(stats_reset::text, 'statistics were never reset')"
        + " FROM pg_stat_database WHERE datname = current_database()", rs -> rs.getString(1));
    List<UnusedIndex> out = new ArrayList<>();
    for (TableInfo table : tables) {
      List<String> unused = Sql.query(s,
          "SELECT quote_ident(u.schemaname) || '.' || quote_ident(u.indexrelname) FROM pg_stat_user_indexes u"
              + " JOIN pg_index i ON i.indexrelid = u.indexrelid WHERE u.relid = ?::regclass AND u.idx_scan = 0"
              + " AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1",
          rs -> rs.getString(1), PgInventory.quoted(table));
      for (String index : unused) {
        Long bytes = Sql.one(t, "SELECT pg_relation_size(to_regclass(?))", rs -> (Long) rs.getObject(1, Long.class), index);
        // An index the target does not have was not built there: nothing to advise.
        if (bytes != null && out.size() < LISTED) out.add(new UnusedIndex(index, table.qualifiedName(), bytes, since));
      }
    }
    return out;
  }
}
