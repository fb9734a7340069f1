package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Analyzes the selected tables on the new primary, so its planner has statistics from the start. */
final class PgOptimize {
  /** Tables optimize reports, the largest first; every selected table is analyzed. */
  private static final int OPTIMIZE_LISTED = 100;
  /** Rows smaller than this are counted exactly after ANALYZE rather than estimated. */
  private static final long EXACT_COUNT_BYTES = 64L * 1024 * 1024;

  private PgOptimize() {}

  static List<TableStats> optimize(MigrationPlan plan) {
    try (PgSession t = PgSession.open(PgEndpoint.target(plan))) {
      List<TableInfo> tables = t.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<TableStats> stats = new ArrayList<>();
      for (TableInfo table : tables) {
        stats.add(t.call("analyzing " + table.qualifiedName(), c -> analyze(c, table)));
      }
      // Beyond the bound the largest tables only: the list goes into the workflow history and the report.
      if (stats.size() <= OPTIMIZE_LISTED) return stats;
      return stats.stream().sorted(Comparator.comparingLong(TableStats::bytes).reversed()
          .thenComparing(TableStats::table)).limit(OPTIMIZE_LISTED).toList();
    }
  }

  private static TableStats analyze(Connection t, TableInfo table) throws java.sql.SQLException {
    String name = PgInventory.quoted(table);
    Sql.exec(t, "ANALYZE " + name);
    long[] sizeAndEstimate = Sql.one(t,
        "SELECT pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint FROM pg_class c"
            + " WHERE c.oid = ?::regclass",
        rs -> new long[] {rs.getLong(1), rs.getLong(2)}, name);
    long rows = sizeAndEstimate[0] < EXACT_COUNT_BYTES
        ? Sql.one(t, "SELECT count(*) FROM " + name, rs -> rs.getLong(1))
        : sizeAndEstimate[1];
    return new TableStats(table.qualifiedName(), rows, sizeAndEstimate[0]);
  }
}
