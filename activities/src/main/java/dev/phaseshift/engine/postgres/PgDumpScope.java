package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which part of the source a schema dump takes when the plan leaves tables out. Naming the selected
 * tables ({@code pg_dump -t}) would leave behind every type, domain, enum, composite type, function
 * and free-standing sequence they depend on, so the dump instead takes everything and leaves out
 * what cannot come along: the tables the plan excludes, their partitions, the sequences they own,
 * and every view or materialized view that reads from one of them (directly or through another view).
 */
final class PgDumpScope {
  /**
   * Relations reachable from the excluded tables: partitions through pg_inherits, views and
   * materialized views through their rewrite rules, owned sequences through their auto dependency.
   */
  private static final String LEFT_OUT =
      "WITH RECURSIVE edges(parent, child) AS ("
          + "  SELECT inhparent, inhrelid FROM pg_inherits"
          + "  UNION ALL SELECT d.refobjid, r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid"
          + "   WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
          + "   AND r.ev_class <> d.refobjid"
          + "  UNION ALL SELECT d.refobjid, d.objid FROM pg_depend d JOIN pg_class q ON q.oid = d.objid"
          + "   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
          + "   AND d.deptype = 'a' AND q.relkind = 'S'"
          + "), left_out(oid) AS ("
          + "  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + "   WHERE " + PgInventory.QUOTED_NAME.formatted("n.nspname", "c.relname") + " = ANY (?::text[])"
          + "  UNION SELECT e.child FROM edges e JOIN left_out o ON e.parent = o.oid"
          + ") SELECT n.nspname, c.relname FROM left_out o JOIN pg_class c ON c.oid = o.oid"
          + " JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1, 2";

  private PgDumpScope() {}

  /** pg_dump arguments that take exactly what the plan moves; none when it moves every table. */
  static List<String> args(Connection source, MigrationPlan plan) throws SQLException {
    List<String> args = new ArrayList<>();
    // Quoted names: double quotes keep pattern characters literal.
    for (String name : leftOut(source, plan)) args.add("--exclude-table=" + name);
    return args;
  }

  /** The relations the plan leaves out, quoted and schema-qualified; empty when it moves every table. */
  static Set<String> leftOut(Connection source, MigrationPlan plan) throws SQLException {
    List<TableInfo> excluded = PgInventory.allTables(source).stream()
        .filter(t -> !plan.tables().selects(t.schema(), t.name())).toList();
    if (excluded.isEmpty()) return Set.of();
    String[] names = excluded.stream().map(PgInventory::quoted).toArray(String[]::new);
    return new LinkedHashSet<>(Sql.query(source, LEFT_OUT, rs -> Sql.qualified(rs.getString(1), rs.getString(2)),
        source.createArrayOf("text", names)));
  }
}
