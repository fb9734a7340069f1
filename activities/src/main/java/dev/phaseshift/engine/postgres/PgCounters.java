package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.StatementTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One reading of a database's cumulative statistics for the verification window: transactions,
 * rollbacks, deadlocks, sessions ended by errors (PostgreSQL 14+), client sessions, and statements from {@code pg_stat_statements} where it is loaded.
 */
final class PgCounters {
  /** Statements the baseline keeps: the source's top ones by total time. */
  static final int TOP_STATEMENTS = 10;
  /** Statement texts are kept up to this length; the same prefix matches them on the other side. */
  static final int QUERY_CHARS = 1000;
  /**
   * Application statements only: utility statements are kept verbatim by pg_stat_statements (a
   * CREATE ROLE ... PASSWORD would be), so only DML, whose constants it replaces, is read; and
   * nothing that names a catalog, a system function or the bookkeeping schema: those are the
   * reads of Phaseshift and pg_dump, not the application's.
   */
  private static final String APPLICATION_STATEMENTS =
      " AND query ~* '^\\s*(select|insert|update|delete|with)\\M'"
          + " AND query !~* '(\\mpg_|phaseshift|information_schema)'";

  private PgCounters() {}

  /**
   * Reads the database the connection is on. {@code queries}: the statements to read (their first
   * {@value #QUERY_CHARS} characters); null reads the top {@value #TOP_STATEMENTS} by total time.
   */
  static DatabaseCounters read(Connection c, List<String> queries) throws SQLException {
    Sql.exec(c, "SELECT pg_stat_clear_snapshot()");
    boolean sessionsCounted = Sql.one(c, "SELECT current_setting('server_version_num')::int >= 140000",
        rs -> rs.getBoolean(1));
    String failed = sessionsCounted ? "sessions_fatal + sessions_abandoned" : "NULL::bigint";
    DatabaseCounters base = Sql.one(c,
        "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint, xact_commit, xact_rollback, deadlocks, "
            + failed + ", (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = current_database()"
            + " AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()"
            + " AND coalesce(a.application_name, '') NOT LIKE 'phaseshift%')::int"
            + " FROM pg_stat_database WHERE datname = current_database()",
        rs -> new DatabaseCounters(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
            (Long) rs.getObject(5, Long.class), rs.getInt(6), List.of(), false));
    String view = statementsView(c);
    List<StatementTime> statements = view == null ? List.of() : statements(c, view, queries);
    return new DatabaseCounters(base.atMillis(), base.commits(), base.rollbacks(), base.deadlocks(),
        base.failedSessions(), base.clientBackends(), statements, view != null);
  }

  /** The qualified pg_stat_statements view when the extension is installed here and readable, else null. */
  static String statementsView(Connection c) throws SQLException {
    String schema = Sql.one(c, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        + " WHERE e.extname = 'pg_stat_statements'", rs -> rs.getString(1));
    if (schema == null) return null;
    String view = Sql.qualified(schema, "pg_stat_statements");
    try {
      Sql.one(c, "SELECT 1 FROM " + view + " LIMIT 1", rs -> 1);
      return view;
    } catch (SQLException notPreloaded) {
      // Installed but not in shared_preload_libraries: the view raises an error on every read.
      return null;
    }
  }

  static List<StatementTime> statements(Connection c, String view, List<String> queries) throws SQLException {
    String total = Sql.one(c, "SELECT current_setting('server_version_num')::int >= 130000", rs -> rs.getBoolean(1))
        ? "total_exec_time" : "total_time";
    String select = "SELECT left(query, " + QUERY_CHARS + "), sum(calls)::bigint, sum(" + total + ")::float8 FROM "
        + view + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())";
    if (queries == null) {
      return Sql.query(c, select + APPLICATION_STATEMENTS + " GROUP BY 1 ORDER BY 3 DESC LIMIT " + TOP_STATEMENTS,
          rs -> new StatementTime(rs.getString(1), rs.getLong(2), rs.getDouble(3)));
    }
    if (queries.isEmpty()) return List.of();
    return Sql.query(c, select + " AND left(query, " + QUERY_CHARS + ") = ANY (?) GROUP BY 1",
        rs -> new StatementTime(rs.getString(1), rs.getLong(2), rs.getDouble(3)),
        c.createArrayOf("text", queries.toArray()));
  }
}
