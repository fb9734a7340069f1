package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TopStatement;
import dev.phaseshift.model.WorkloadReport;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The statements the source database spent the most time on, from pg_stat_statements; or, when
 * the extension is not loaded or not created in the database, how to make it available.
 */
final class PgStatementTimes {
  /** The statements, null when unavailable, and where they come from or how to get them. */
  record Top(List<TopStatement> statements, String note) {}

  private PgStatementTimes() {}

  static Top top(Connection c) throws SQLException {
    boolean loaded = Boolean.TRUE.equals(Sql.one(c,
        "SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements($|[ ,])'",
        rs -> rs.getBoolean(1)));
    if (!loaded) {
      return new Top(null, "Not available: the source does not load pg_stat_statements. Add it to"
          + " shared_preload_libraries, restart, and run CREATE EXTENSION pg_stat_statements in the database.");
    }
    String schema = Sql.one(c, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        + " WHERE e.extname = 'pg_stat_statements'", rs -> rs.getString(1));
    if (schema == null) {
      return new Top(null, "Not available: the source loads pg_stat_statements, but the database lacks the"
          + " extension; run CREATE EXTENSION pg_stat_statements in it.");
    }
    List<TopStatement> top = Sql.query(c, "SELECT left(query, " + TopStatement.TEXT_LIMIT + "), calls,"
        + " total_exec_time, mean_exec_time, rows FROM " + Sql.ident(schema) + ".pg_stat_statements"
        + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        + " ORDER BY total_exec_time DESC LIMIT " + WorkloadReport.STATEMENTS_LISTED,
        rs -> new TopStatement(rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getDouble(4), rs.getLong(5)));
    return new Top(top, "From pg_stat_statements, since its statistics were last reset; statements of the"
        + " migration's own role are left out.");
  }
}
