package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ClientConnection;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.ServerInfo;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of an assessment read from the source that every kind of assessment shares (the
 * logical path's {@link PgInspector} and {@link PhysicalSeedAssessment}): the server's settings,
 * its client sessions, the tables' replica identities, the lock table's size, and the bound on
 * findings of one kind.
 */
final class PgAssessmentParts {
  private PgAssessmentParts() {}

  static ServerInfo serverInfo(PgSession on) {
    return on.call("reading server settings", c -> {
      ServerInfo info = Sql.one(c,
          "SELECT current_setting('server_version'), current_setting('server_version_num')::int,"
              + " current_setting('wal_level'),"
              + " current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int,"
              + " current_setting('max_wal_senders')::int"
              + "   - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int,"
              + " pg_database_size(current_database()),"
              + " (SELECT count(*) FROM pg_largeobject_metadata)",
          rs -> new ServerInfo(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
              rs.getLong(6), List.of(), rs.getLong(7)));
      List<String> extensions = Sql.query(c, "SELECT extname FROM pg_extension ORDER BY 1", rs -> rs.getString(1));
      return new ServerInfo(info.version(), info.versionNumber(), info.walLevel(), info.freeReplicationSlots(),
          info.freeWalSenders(), info.databaseBytes(), extensions, info.largeObjects());
    });
  }


  static List<ClientConnection> clients(Connection s) throws SQLException {
    // The migration's own sessions and replication connections are not clients to move.
    return Sql.query(s,
        "SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), coalesce(usename, ''),"
            + " count(*)::int FROM pg_stat_activity"
            + " WHERE datname = current_database() AND backend_type = 'client backend'"
            + " AND pid <> pg_backend_pid() AND coalesce(application_name, '') <> 'phaseshift'"
            + " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3",
        rs -> new ClientConnection(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
  }


  static String describe(ClientConnection c) {
    String app = c.applicationName().isEmpty() ? "(no application_name)" : c.applicationName();
    return app + " from " + c.clientAddress() + " as " + c.user() + " x" + c.sessions();
  }


  static void tableFindings(List<TableInfo> tables, List<Finding> findings) {
    if (tables.isEmpty()) {
      findings.add(new Finding(Severity.BLOCKER, "no_tables_selected", "tables",
          "the plan selects no table on the source; check tables.include and tables.exclude"
              + " (patterns are schema.table, * as wildcard)"));
    }
    for (TableInfo t : tables) {
      String name = PgInventory.quoted(t);
      boolean noIdentity = "nothing".equals(t.replicaIdentity())
          || ("default".equals(t.replicaIdentity()) && !t.hasPrimaryKey());
      if (noIdentity) {
        findings.add(new Finding(Severity.BLOCKER, "no_replica_identity", t.qualifiedName(),
            t.qualifiedName() + " has no replica identity (no primary key, replica identity "
                + t.replicaIdentity() + "), so once it is published every UPDATE and DELETE on it fails on"
                + " the source; add a primary key, or run ALTER TABLE " + name + " REPLICA IDENTITY FULL"));
      } else if (!t.hasPrimaryKey() && "full".equals(t.replicaIdentity())) {
        findings.add(new Finding(Severity.WARNING, "replica_identity_full", t.qualifiedName(),
            t.qualifiedName() + " has no primary key and uses REPLICA IDENTITY FULL, so each replicated"
                + " UPDATE or DELETE scans the table on the target; add a primary key to keep up with writes"));
      }
    }
  }


  /**
   * Schema dump and validation lock every selected table in one transaction; the server's shared
   * lock table holds max_locks_per_transaction x (max_connections + max_prepared_transactions)
   * locks, and a schema with more tables than that fails with "out of shared memory".
   */
  static void lockTableFindings(Connection s, int tables, List<Finding> findings) throws SQLException {
    long slots = Sql.one(s, "SELECT current_setting('max_locks_per_transaction')::bigint"
        + " * (current_setting('max_connections')::bigint + current_setting('max_prepared_transactions')::bigint)",
        rs -> rs.getLong(1));
    if (tables < slots / 2) return;
    long perTransaction = Math.max(64, (2L * tables + 99) / 100 * 100);
    findings.add(new Finding(tables >= slots ? Severity.BLOCKER : Severity.WARNING, "lock_table_too_small",
        "source max_locks_per_transaction",
        "the plan selects " + tables + " tables, and dumping or validating them locks each one in a single"
            + " transaction, but the source's lock table holds only " + slots + " locks; raise"
            + " max_locks_per_transaction to at least " + perTransaction + " on the source and restart it"));
  }

  /** Findings of one kind past this many are summed up in one, so 10,000 tables cannot bloat the assessment. */
  static final int FINDINGS_PER_CODE = 20;

  static List<Finding> bounded(List<Finding> findings) {
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    java.util.Map<String, Finding> firstOmitted = new java.util.LinkedHashMap<>();
    java.util.Map<String, Integer> omitted = new java.util.HashMap<>();
    List<Finding> kept = new ArrayList<>();
    for (Finding f : findings) {
      if (seen.merge(f.code(), 1, Integer::sum) <= FINDINGS_PER_CODE) {
        kept.add(f);
      } else {
        firstOmitted.putIfAbsent(f.code(), f);
        omitted.merge(f.code(), 1, Integer::sum);
      }
    }
    firstOmitted.forEach((code, f) -> kept.add(new Finding(f.severity(), code, "and " + omitted.get(code) + " more",
        omitted.get(code) + " more table(s) have the same finding (" + code + ") as the " + FINDINGS_PER_CODE
            + " above; fix them the same way")));
    return List.copyOf(kept);
  }

}
