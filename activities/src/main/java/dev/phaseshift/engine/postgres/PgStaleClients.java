package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Client sessions on the old database after the switchover, other than Phaseshift's own (which
 * connect as application_name 'phaseshift...') and the reverse stream's apply worker (not a client
 * backend): applications whose connection string still names the old server.
 */
final class PgStaleClients {
  /** Sessions described by name; the count covers all of them. */
  static final int DESCRIBED = 10;

  /** @param writers sessions holding a transaction id: writing although new sessions there are read-only */
  record Seen(int count, int writers, List<String> described) {}

  private PgStaleClients() {}

  static Seen seen(Connection s) throws SQLException {
    String where = " FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"
        + " AND pid <> pg_backend_pid() AND coalesce(application_name, '') NOT LIKE 'phaseshift%'";
    int[] counts = Sql.one(s, "SELECT count(*)::int, (count(*) FILTER (WHERE backend_xid IS NOT NULL))::int" + where,
        rs -> new int[] {rs.getInt(1), rs.getInt(2)});
    List<String> described = Sql.query(s,
        "SELECT coalesce(nullif(application_name, ''), '(no application_name)') || ' as ' || coalesce(usename::text, '?')"
            + " || ' from ' || coalesce(host(client_addr), 'local socket') || ', ' || coalesce(state, '?')"
            + where + " ORDER BY backend_start LIMIT " + DESCRIBED,
        rs -> rs.getString(1));
    return new Seen(counts[0], counts[1], described);
  }
}
