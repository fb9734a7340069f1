package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientProfile;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableWorkload;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Watches the source's cumulative statistics over a sample: per selected table the scans, rows
 * read and rows written (pg_stat_user_tables), the write-ahead log produced (pg_current_wal_lsn),
 * and the database's and tables' growth; then lists the top statements (pg_stat_statements, when
 * loaded) and the clients with the target's verdict. Reads only: nothing is written on either side.
 */
final class PgWorkload {
  /** The statistics a backend collects reach the shared view within about a second of its transaction. */
  static final long BEAT_MILLIS = 1_000;

  private PgWorkload() {}

  /** One reading of a table's counters. */
  private record Counters(long scans, long rowsRead, long inserts, long updates, long deletes, long bytes) {}

  /** The report without the forecast and windows, which the activity adds from the plan and the rehearsals. */
  static WorkloadReport sample(PgSession s, PgSession t, MigrationPlan plan, long sampleMillis, Runnable beat) {
    List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
    Set<String> selected = tables.stream().map(TableInfo::qualifiedName).collect(Collectors.toSet());
    Map<String, Counters> before = s.call("reading table statistics", PgWorkload::counters);
    String logBefore = s.one("reading the log position", "SELECT pg_current_wal_lsn()::text", rs -> rs.getString(1));
    long sizeBefore = s.call("reading the database size", PgWorkload::databaseBytes);
    long started = System.nanoTime();
    long end = started + sampleMillis * 1_000_000;
    while (System.nanoTime() < end) {
      beat.run();
      try {
        Thread.sleep(Math.max(1, Math.min(BEAT_MILLIS, (end - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("workload sample interrupted", e);
      }
    }
    long sampled = sampleMillis <= 0 ? 0 : (System.nanoTime() - started) / 1_000_000;
    Map<String, Counters> after = s.call("reading table statistics", PgWorkload::counters);
    long logBytes = s.one("reading the log position", "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint",
        rs -> rs.getLong(1), logBefore);
    long sizeAfter = s.call("reading the database size", PgWorkload::databaseBytes);

    List<TableWorkload> busiest = new ArrayList<>();
    for (String table : selected) {
      Counters a = after.get(table);
      if (a == null) continue;
      Counters b = before.getOrDefault(table, new Counters(0, 0, 0, 0, 0, a.bytes()));
      busiest.add(new TableWorkload(table, a.scans() - b.scans(), a.rowsRead() - b.rowsRead(),
          a.inserts() - b.inserts(), a.updates() - b.updates(), a.deletes() - b.deletes(), a.bytes(),
          a.bytes() - b.bytes()));
    }
    busiest.sort(Comparator.comparingLong(TableWorkload::writes).thenComparingLong(TableWorkload::rowsRead)
        .thenComparingLong(TableWorkload::bytes).reversed().thenComparing(TableWorkload::table));
    int listed = Math.min(busiest.size(), WorkloadReport.TABLES_LISTED);
    PgStatementTimes.Top statements = s.call("reading statement statistics", PgStatementTimes::top);
    long readRate = s.call("measuring the read rate", c -> PgReadRate.bytesPerSecond(c, tables));
    List<ClientProfile> clients = s.call("listing client sessions", PgWorkload::clients);
    ClientAccess access = PgClientAccess.preview(s, t, plan);
    List<ClientProfile> judged = clients.stream().map(c -> judged(c, access)).toList();
    int clientsListed = Math.min(judged.size(), WorkloadReport.CLIENTS_LISTED);
    return new WorkloadReport(sampled, Instant.now().toString(), List.copyOf(busiest.subList(0, listed)),
        busiest.size() - listed, statements.statements(), statements.note(), sampled == 0 ? 0 : logBytes, sizeAfter,
        sampled == 0 ? 0 : sizeAfter - sizeBefore, readRate, List.copyOf(judged.subList(0, clientsListed)),
        judged.size() - clientsListed, null, List.of(), null, List.of());
  }

  private static Map<String, Counters> counters(Connection c) throws SQLException {
    // A fresh snapshot of the statistics, not the one this session's transaction may hold.
    Sql.one(c, "SELECT pg_stat_clear_snapshot()", rs -> null);
    Map<String, Counters> out = new HashMap<>();
    Sql.query(c, "SELECT schemaname, relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0),"
        + " coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0), n_tup_ins, n_tup_upd, n_tup_del,"
        + " pg_total_relation_size(relid) FROM pg_stat_user_tables", rs -> out.put(rs.getString(1) + "." + rs.getString(2),
            new Counters(rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8))));
    return out;
  }

  private static long databaseBytes(Connection c) throws SQLException {
    return Sql.one(c, "SELECT pg_database_size(current_database())", rs -> rs.getLong(1));
  }

  /** The migrated database's client sessions now, grouped, busiest first; without the migration's own. */
  private static List<ClientProfile> clients(Connection c) throws SQLException {
    return Sql.query(c, "SELECT coalesce(a.usename, ''), coalesce(host(a.client_addr), 'local'),"
            + " coalesce(a.application_name, ''), CASE WHEN ssl.ssl THEN ssl.version END, count(*)::int"
            + " FROM pg_stat_activity a LEFT JOIN pg_stat_ssl ssl ON ssl.pid = a.pid"
            + " WHERE a.datname = current_database() AND a.backend_type = 'client backend'"
            + " AND a.pid <> pg_backend_pid() AND coalesce(a.application_name, '') <> 'phaseshift'"
            + " GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3",
        rs -> new ClientProfile(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
            false, ""));
  }

  /** The access check's verdict for the client, matched on user, address, application and encryption. */
  private static ClientProfile judged(ClientProfile c, ClientAccess access) {
    for (ClientAdmission a : access.clients()) {
      var seen = a.client();
      if (seen.user().equals(c.user()) && seen.address().equals(c.address())
          && seen.applicationName().equals(c.application()) && seen.encrypted() == (c.tls() != null)) {
        return new ClientProfile(c.user(), c.address(), c.application(), c.tls(), c.sessions(), a.admitted(),
            a.verdict());
      }
    }
    return new ClientProfile(c.user(), c.address(), c.application(), c.tls(), c.sessions(), false,
        "not checked: beyond the " + ClientAccess.LISTED + " clients the access check lists");
  }
}
