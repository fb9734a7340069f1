package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableFreeze;
import dev.phaseshift.model.TableInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The copied tables' transaction-id age on the new primary, and their freeze when the plan allows:
 * a bulk copy writes every row in a few young transactions, so all of them reach
 * autovacuum_freeze_max_age together and an anti-wraparound vacuum then rewrites them all at once.
 */
final class PgFreeze {
  /** Tables listed in the advice, the largest first; every selected table is frozen. */
  static final int LISTED = 50;

  private PgFreeze() {}

  /**
   * @param listed       the tables' ages, the largest first, bounded
   * @param unfrozenBytes bytes whose rows still carry the copy's transaction ids: all of them
   *                     unless frozen now, and what an anti-wraparound vacuum will have to rewrite
   */
  record Ages(List<TableFreeze> listed, long unfrozenBytes) {}

  /** Each table's age and size; frozen first when {@code freeze}. */
  static Ages ages(Connection t, List<TableInfo> tables, boolean freeze) throws SQLException {
    List<TableFreeze> out = new ArrayList<>();
    long unfrozen = 0;
    for (TableInfo table : tables) {
      String name = PgInventory.quoted(table);
      long[] before = ageAndSize(t, name);
      long after = before[0];
      if (freeze) {
        // VACUUM cannot run in a transaction block; the session is in autocommit.
        Sql.exec(t, "VACUUM (FREEZE) " + name);
        after = ageAndSize(t, name)[0];
      } else {
        unfrozen += before[1];
      }
      out.add(new TableFreeze(table.qualifiedName(), before[1], before[0], after));
    }
    out.sort(Comparator.comparingLong(TableFreeze::bytes).reversed().thenComparing(TableFreeze::table));
    return new Ages(out.size() <= LISTED ? out : List.copyOf(out.subList(0, LISTED)), unfrozen);
  }

  static long freezeMaxAge(Connection t) throws SQLException {
    return Sql.one(t, "SELECT current_setting('autovacuum_freeze_max_age')::bigint", rs -> rs.getLong(1));
  }

  private static long[] ageAndSize(Connection t, String name) throws SQLException {
    Sql.exec(t, "SELECT pg_stat_clear_snapshot()");
    return Sql.one(t, "SELECT greatest(age(c.relfrozenxid), 0)::bigint, pg_table_size(c.oid) FROM pg_class c"
        + " WHERE c.oid = ?::regclass", rs -> new long[] {rs.getLong(1), rs.getLong(2)}, name);
  }
}
