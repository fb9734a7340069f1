package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The clients the source has seen during the migration, kept in the target's bookkeeping schema:
 * each sample of the source's sessions is merged into one row per user, database, address,
 * application name and encryption (first and last seen, samples, peak sessions), plus the peak
 * session counts that connection limits on the target must allow.
 */
final class PgClientLog {
  /** The migration's own sessions are named so (pg_dump, psql and JDBC alike); they are not clients. */
  private static final String OWN_APPLICATION = "phaseshift";

  private PgClientLog() {}

  /** One sample's group of sessions. */
  record Sample(String user, String database, String address, String applicationName, boolean encrypted,
      int sessions) {}

  /**
   * Reads the source's client sessions of the migrated database. Without superuser or
   * pg_read_all_stats, other roles' sessions show no address: {@link #seesEveryClient} says so.
   */
  static List<Sample> sample(Connection source) throws SQLException {
    return Sql.query(source,
        "SELECT coalesce(a.usename, ''), a.datname, coalesce(host(a.client_addr), 'local'),"
            + " coalesce(a.application_name, ''), coalesce(ssl.ssl, false), count(*)::int"
            + " FROM pg_stat_activity a LEFT JOIN pg_stat_ssl ssl ON ssl.pid = a.pid"
            + " WHERE a.datname = current_database() AND a.backend_type = 'client backend'"
            + " AND a.pid <> pg_backend_pid() AND coalesce(a.application_name, '') <> ?"
            + " GROUP BY 1, 2, 3, 4, 5",
        rs -> new Sample(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5),
            rs.getInt(6)), OWN_APPLICATION);
  }

  static boolean seesEveryClient(Connection source) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(source,
        "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') FROM pg_roles"
            + " WHERE rolname = current_user", rs -> rs.getBoolean(1)));
  }

  /** Client sessions of the whole source server right now, for the target's max_connections. */
  static int serverSessions(Connection source) throws SQLException {
    return Sql.one(source, "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'"
        + " AND coalesce(application_name, '') <> ?", rs -> rs.getInt(1), OWN_APPLICATION);
  }

  /** Samples the source and merges the sample into the log on the target. */
  static void record(PgSession source, PgSession target, MigrationPlan plan) {
    List<Sample> sample = source.call("listing client sessions", PgClientLog::sample);
    int server = source.call("counting client sessions", PgClientLog::serverSessions);
    target.run("recording the clients seen on the source", t -> {
      PgBookkeepingSchema.ensure(target.endpoint(), t);
      Sql.inTransaction(t, () -> {
        merge(t, plan.name(), sample, server);
        return null;
      });
    });
  }

  private static void merge(Connection t, String migration, List<Sample> sample, int server) throws SQLException {
    for (Sample s : sample) {
      Sql.one(t, "INSERT INTO phaseshift.clients_seen AS c (migration, user_name, database_name, client_address,"
          + " application_name, encrypted, first_seen, last_seen, samples, peak_sessions)"
          + " VALUES (?, ?, ?, ?, ?, ?, now(), now(), 1, ?)"
          + " ON CONFLICT (migration, user_name, database_name, client_address, application_name, encrypted)"
          + " DO UPDATE SET last_seen = now(), samples = c.samples + 1,"
          + " peak_sessions = greatest(c.peak_sessions, excluded.peak_sessions) RETURNING 1",
          rs -> 1, migration, s.user(), s.database(), s.address(), s.applicationName(), s.encrypted(), s.sessions());
    }
    Map<String, Integer> perUser = new java.util.TreeMap<>();
    int database = 0;
    for (Sample s : sample) {
      perUser.merge(s.user(), s.sessions(), Integer::sum);
      database += s.sessions();
    }
    peak(t, migration, "server", "", server);
    peak(t, migration, "database", "", database);
    for (Map.Entry<String, Integer> u : perUser.entrySet()) peak(t, migration, "user", u.getKey(), u.getValue());
  }

  private static void peak(Connection t, String migration, String scope, String name, int sessions)
      throws SQLException {
    Sql.one(t, "INSERT INTO phaseshift.client_peaks AS p (migration, scope, name, peak_sessions) VALUES (?, ?, ?, ?)"
        + " ON CONFLICT (migration, scope, name) DO UPDATE SET peak_sessions = greatest(p.peak_sessions,"
        + " excluded.peak_sessions) RETURNING 1", rs -> 1, migration, scope, name, sessions);
  }

  /** Every client logged for the migration, most recently seen first. */
  static List<ClientSeen> clients(Connection t, String migration) throws SQLException {
    return Sql.query(t, "SELECT user_name, database_name, client_address, application_name, encrypted, first_seen,"
        + " last_seen, samples, peak_sessions FROM phaseshift.clients_seen WHERE migration = ?"
        + " ORDER BY last_seen DESC, user_name, client_address, application_name",
        rs -> new ClientSeen(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5),
            rs.getTimestamp(6).toInstant().toString(), rs.getTimestamp(7).toInstant().toString(), rs.getLong(8), rs.getInt(9)),
        migration);
  }

  /** Clients and the peak session counts their connection limits must allow. */
  record Observed(List<ClientSeen> clients, Map<String, Integer> userPeaks, int databasePeak, int serverPeak) {}

  /** Everything logged for the migration so far. */
  static Observed logged(Connection t, String migration) throws SQLException {
    List<ClientSeen> clients = clients(t, migration);
    Map<String, Integer> users = new java.util.TreeMap<>();
    for (ClientSeen c : clients) users.put(c.user(), peak(t, migration, "user", c.user()));
    return new Observed(clients, users, peak(t, migration, "database", ""), peak(t, migration, "server", ""));
  }

  /** One sample of the source, not logged: what PREPARE can tell before anything is created. */
  static Observed now(Connection source) throws SQLException {
    String now = java.time.Instant.now().toString();
    List<ClientSeen> clients = new java.util.ArrayList<>();
    Map<String, Integer> users = new java.util.TreeMap<>();
    int database = 0;
    for (Sample s : sample(source)) {
      clients.add(new ClientSeen(s.user(), s.database(), s.address(), s.applicationName(), s.encrypted(), now, now, 1,
          s.sessions()));
      users.merge(s.user(), s.sessions(), Integer::sum);
      database += s.sessions();
    }
    return new Observed(clients, users, database, serverSessions(source));
  }

  /** The peak of one scope ("server", "database", or "user" with the user's name); 0 if never sampled. */
  static int peak(Connection t, String migration, String scope, String name) throws SQLException {
    Integer peak = Sql.one(t, "SELECT peak_sessions FROM phaseshift.client_peaks WHERE migration = ? AND scope = ?"
        + " AND name = ?", rs -> rs.getInt(1), migration, scope, name);
    return peak == null ? 0 : peak;
  }
}
