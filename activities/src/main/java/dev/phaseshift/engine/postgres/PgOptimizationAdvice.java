package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.OptimizationAdvisor;
import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.SlowerStatement;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * OPTIMIZE's advice on PostgreSQL: reads the new primary and the old database (which stays
 * read-only), and changes nothing but the optional freeze of the copied tables.
 */
final class PgOptimizationAdvice implements OptimizationAdvisor {
  @Override
  public OptimizationAdvice advise(MigrationPlan plan) {
    boolean freeze = plan.optimize() != null && plan.optimize().freezes();
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      List<TableInfo> tables = t.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      long freezeMaxAge = t.call("reading autovacuum_freeze_max_age", PgFreeze::freezeMaxAge);
      PgFreeze.Ages ages = t.call(freeze ? "freezing the copied tables" : "reading the copied tables' age",
          c -> PgFreeze.ages(c, tables, freeze));
      List<String> notes = new ArrayList<>();
      List<SlowerStatement> slower = PgSlowerStatements.find(s, t);
      if (slower == null) {
        notes.add("statements not compared: pg_stat_statements is not loaded (shared_preload_libraries) and"
            + " installed (CREATE EXTENSION) on both servers");
        slower = List.of();
      }
      List<TableInfo> sourceTables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      return new OptimizationAdvice(freeze, freezeMaxAge, ages.unfrozenBytes(), ages.listed(), slower,
          s.call("looking for unused indexes", c -> PgUnusedIndexes.find(c, t.connection(), sourceTables)),
          t.call("looking for tables without statistics", c -> withoutStatistics(c, tables)),
          s.call("comparing settings", c -> PgSettingDifferences.find(c, t.connection())), notes);
    }
  }

  /**
   * Tables with rows but no column statistics even after ANALYZE (statistics targets of 0); up to
   * {@link #STATISTICS_LISTED} named, then how many more, so the advice stays small with 100,000 tables.
   */
  private static List<String> withoutStatistics(java.sql.Connection t, List<TableInfo> tables)
      throws java.sql.SQLException {
    List<String> out = new ArrayList<>();
    int more = 0;
    for (TableInfo table : tables) {
      boolean missing = Sql.one(t, "SELECT c.reltuples > 0 AND NOT EXISTS (SELECT 1 FROM pg_stats s"
          + " WHERE s.schemaname = ? AND s.tablename = ?) FROM pg_class c WHERE c.oid = ?::regclass",
          rs -> rs.getBoolean(1), table.schema(), table.name(), PgInventory.quoted(table));
      if (missing && out.size() < STATISTICS_LISTED) {
        out.add(table.qualifiedName());
      } else if (missing) {
        more++;
      }
    }
    if (more > 0) out.add("and " + more + " more");
    return out;
  }

  static final int STATISTICS_LISTED = 100;
}
