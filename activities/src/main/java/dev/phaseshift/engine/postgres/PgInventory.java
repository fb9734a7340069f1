package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a plan selects on one server (tables, their schemas, the sequences beside them), read the
 * same way by inspection, schema copy, validation and cutover so they all agree on the set.
 */
final class PgInventory {
  /**
   * User tables: ordinary and partitioned, not partitions (their root carries their rows and pg_dump
   * recreates them with it), not members of extensions (the extension creates those), not in
   * system schemas nor in the migration's own bookkeeping schema.
   */
  private static final String USER_TABLES =
      "SELECT n.nspname, c.relname, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint,"
          + " EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),"
          + " c.relreplident, c.relpersistence = 'u'"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
          + " AND n.nspname NOT IN ('pg_catalog', 'information_schema', '" + PgNames.BOOKKEEPING_SCHEMA + "')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
          + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
          + "   AND d.objid = c.oid AND d.deptype = 'e')"
          + " ORDER BY 1, 2";

  /**
   * A relation's name quoted as {@link Sql#qualified} quotes it, from catalog columns: compared as
   * text, it needs no lookup, which would fail on a schema the role may not use.
   */
  static final String QUOTED_NAME = "('\"' || replace(%1$s, '\"', '\"\"') || '\".\"' || replace(%2$s, '\"', '\"\"') || '\"')";

  private PgInventory() {}

  static List<TableInfo> allTables(Connection c) throws SQLException {
    return Sql.query(c, USER_TABLES, rs -> new TableInfo(rs.getString(1), rs.getString(2), rs.getLong(3),
        rs.getLong(4), rs.getBoolean(5), replicaIdentity(rs.getString(6)), rs.getBoolean(7)));
  }

  static List<TableInfo> selectedTables(Connection c, MigrationPlan plan) throws SQLException {
    return allTables(c).stream().filter(t -> plan.tables().selects(t.schema(), t.name())).toList();
  }

  /** Whether the plan leaves some user table out, so dumps must name the tables they take. */
  static boolean isSubset(Connection c, MigrationPlan plan) throws SQLException {
    return allTables(c).stream().anyMatch(t -> !plan.tables().selects(t.schema(), t.name()));
  }

  static Set<String> schemasOf(List<TableInfo> tables) {
    Set<String> schemas = new TreeSet<>();
    for (TableInfo t : tables) schemas.add(t.schema());
    return schemas;
  }

  /**
   * Sequences (schema.name, unquoted) in the schemas of the selected tables, except those owned by
   * a table the plan leaves out: the schema copy leaves them out with it.
   */
  static List<Seq> sequences(Connection c, List<TableInfo> tables) throws SQLException {
    Set<String> schemas = schemasOf(tables);
    if (schemas.isEmpty()) return List.of();
    String[] selected = tables.stream().map(PgInventory::quoted).toArray(String[]::new);
    List<Seq> out = new ArrayList<>();
    for (Seq s : Sql.query(c,
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d"
            + "   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid"
            + "   JOIN pg_namespace os ON os.oid = o.relnamespace WHERE d.classid = 'pg_class'::regclass"
            + "   AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
            + "   AND o.relkind IN ('r', 'p') AND " + QUOTED_NAME.formatted("os.nspname", "o.relname")
            + "     <> ALL (?::text[]))"
            + " ORDER BY 1, 2",
        rs -> new Seq(rs.getString(1), rs.getString(2)), c.createArrayOf("text", selected))) {
      if (schemas.contains(s.schema())) out.add(s);
    }
    return out;
  }

  /** Every sequence in these schemas, whichever table owns it. */
  static List<Seq> sequences(Connection c, Set<String> schemas) throws SQLException {
    if (schemas.isEmpty()) return List.of();
    List<Seq> out = new ArrayList<>();
    for (Seq s : Sql.query(c,
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d"
            + "   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
            + " ORDER BY 1, 2",
        rs -> new Seq(rs.getString(1), rs.getString(2)))) {
      if (schemas.contains(s.schema())) out.add(s);
    }
    return out;
  }

  record Seq(String schema, String name) {
    String display() {
      return schema + "." + name;
    }

    String quoted() {
      return Sql.qualified(schema, name);
    }
  }

  static boolean exists(Connection c, Seq s) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), s.quoted()));
  }

  /** {@code last_value} of a sequence, or {@code null} when it does not exist on this server or was never used. */
  static Long lastValue(Connection c, Seq s) throws SQLException {
    Boolean exists = Sql.one(c, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), s.quoted());
    if (exists == null || !exists) return null;
    return Sql.one(c, "SELECT last_value FROM " + s.quoted(), rs -> rs.getLong(1));
  }

  /**
   * Flushes a server's WAL up to now. With asynchronous commit (on the source if so configured,
   * and on the target, where subscriptions apply with synchronous_commit = off by default) recent
   * commits wait up to three wal_writer_delay rounds for the WAL writer: the source's WAL sender
   * may not ship them before that, nor the target confirm them. A locally synchronous commit of a
   * transaction that wrote WAL and has an xid flushes everything before it at once; a
   * transactional logical message is such a write that touches no table (pgoutput ignores it).
   * Without the privilege for it this is skipped: the WAL writer still gets there, only later.
   */
  static void flushWal(Connection c) {
    try {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Sql.exec(c, "SET LOCAL synchronous_commit = local");
        Sql.exec(c, "SELECT pg_logical_emit_message(true, 'phaseshift', 'flush')");
        c.commit();
      } catch (SQLException e) {
        c.rollback();
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      // A broken connection shows up on the caller's next statement, with its own context.
    }
  }

  static int serverVersionNum(Connection c) throws SQLException {
    return Sql.one(c, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
  }

  static String replicaIdentity(String code) {
    return switch (code) {
      case "d" -> "default";
      case "f" -> "full";
      case "i" -> "index";
      case "n" -> "nothing";
      default -> code;
    };
  }

  static String quoted(TableInfo t) {
    return Sql.qualified(t.schema(), t.name());
  }

  /** pg_dump {@code -t} arguments naming exactly these tables; double quotes keep pattern characters literal. */
  static List<String> tableArgs(List<TableInfo> tables) {
    List<String> args = new ArrayList<>();
    for (String name : tables.stream().map(PgInventory::quoted).distinct().toList()) {
      args.add("-t");
      args.add(name);
    }
    return args;
  }
}
