package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import java.time.Duration;
import java.util.List;

/**
 * Write transactions open on the source longer than the plan allows, described for operators: the
 * switchover's freeze would end them, so they are worth knowing about before.
 */
final class PgLongWriteTransactions {
  /** Queries in operator messages are cut to this many characters. */
  private static final int QUERY_TEXT_CHARS = 80;

  private PgLongWriteTransactions() {}

  static List<String> list(MigrationPlan plan) {
    Duration maxAge = DurationText.parse(plan.cutover().maxTransactionAge());
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      // An assigned xid means the transaction has written; read-only ones never get one. Our own
      // sessions all connect with application_name 'phaseshift'.
      return s.query("listing long write transactions",
          "SELECT pid, coalesce(application_name, ''), coalesce(usename::text, '?'),"
              + " coalesce(host(client_addr), 'local socket'),"
              + " floor(extract(epoch FROM clock_timestamp() - xact_start))::bigint, coalesce(query, '')"
              + " FROM pg_stat_activity"
              + " WHERE datname = current_database() AND backend_type = 'client backend'"
              + " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
              + " AND coalesce(application_name, '') <> 'phaseshift'"
              + " AND xact_start < clock_timestamp() - make_interval(secs => ?)"
              + " ORDER BY xact_start",
          rs -> "pid " + rs.getInt(1) + " (application '" + rs.getString(2) + "', user " + rs.getString(3) + ", "
              + rs.getString(4) + ") writing for " + age(rs.getLong(5)) + ": " + shortQuery(rs.getString(6)),
          maxAge.toMillis() / 1000.0);
    }
  }

  /** 45s, 7m12s, 2h03m07s. */
  static String age(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long sec = seconds % 60;
    if (h > 0) return String.format("%dh%02dm%02ds", h, m, sec);
    if (m > 0) return String.format("%dm%02ds", m, sec);
    return sec + "s";
  }

  static String shortQuery(String query) {
    String oneLine = query.strip().replaceAll("\\s+", " ");
    if (oneLine.length() <= QUERY_TEXT_CHARS) return oneLine;
    return oneLine.substring(0, QUERY_TEXT_CHARS) + " ...";
  }
}
