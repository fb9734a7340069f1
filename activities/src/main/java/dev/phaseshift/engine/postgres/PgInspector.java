package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Inspector;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientConnection;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.ServerInfo;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Reads both servers and lists what would stop or slow the migration, with how to fix each. Changes nothing. */
final class PgInspector implements Inspector {
  private final PgTools tools;

  PgInspector(PgTools tools) {
    this.tools = tools;
  }

  @Override
  public WorkloadReport workload(MigrationPlan plan, long sampleMillis, Runnable beat) {
    if (plan.seedingOrDefault().physical()) {
      // The seeded server will start with the source's own pg_hba.conf and roles, so the source's
      // rules are the target's verdict on the clients; the target itself does not exist yet.
      try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
        return PgWorkload.sample(s, s, plan, sampleMillis, beat);
      }
    }
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      return PgWorkload.sample(sides.source(), sides.target(), plan, sampleMillis, beat);
    }
  }

  @Override
  public Assessment assess(MigrationPlan plan) {
    // Seeded physically, the target is a server the seeding creates: only the source can be read now.
    if (plan.seedingOrDefault().physical()) return PhysicalSeedAssessment.assess(plan);
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      ServerInfo sourceInfo = serverInfo(s);
      ServerInfo targetInfo = serverInfo(t);
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<String> sequences = s.call("listing sequences",
          c -> PgInventory.sequences(c, tables).stream()
              .map(PgInventory.Seq::display).toList());
      List<ClientConnection> clients = s.call("listing client sessions", PgInspector::clients);

      List<Finding> findings = new ArrayList<>();
      serverFindings(sourceInfo, targetInfo, findings);
      PgVersionHazards.findings(s.call("reading the source's encoding and collation", PgVersionHazards::read),
          t.call("reading the target's encoding and collation", PgVersionHazards::read), findings);
      tableFindings(tables, findings);
      t.run("looking for the selected tables", c -> {
        String[] primary = CutoverRecords.liveSwitchover(c);
        if (primary != null) {
          findings.add(new Finding(Severity.BLOCKER, "target_is_primary", "target",
              "the target database is the primary of migration " + primary[0] + " since its switchover at "
                  + primary[1] + ": its tables hold the application's data and are never dropped; aim this"
                  + " plan at another target database, or roll " + primary[0] + " back first"));
        } else {
          targetTableFindings(c, tables, RolledBackCopy.find(c), findings);
        }
      });
      PgObjectFindings.unlogged(plan, tables, findings);
      s.run("checking the large objects", c -> PgObjectFindings.largeObjects(c, sourceInfo.largeObjects(), findings));
      s.run("comparing extensions", c -> PgObjectFindings.extensions(c, t.connection(),
          PgTools.serverMajor(targetInfo.versionNumber()), findings));
      if (!clients.isEmpty()) {
        findings.add(new Finding(Severity.INFO, "client_connections", "source",
            clients.stream().mapToInt(ClientConnection::sessions).sum()
                + " client session(s) on the source: "
                + clients.stream().map(PgInspector::describe).collect(Collectors.joining(", "))
                + "; these applications must be pointed at the target at switchover"));
      }
      // Early word on what the switchover will wait for, while the plan can still retire a client.
      clientAccessFindings(s, t, plan, findings);
      // PREPARE says where the subscriptions' credentials will live, before anything exists.
      findings.add(new Finding(Severity.INFO, "subscription_auth", "subscriptionAuth", plan.subscriptionAuthOrDefault().describe()));
      t.run("checking what the forward subscription's credentials need", c -> PgSubscriptionAuth.findings(c, plan, true, findings));
      s.run("checking what the reverse subscription's credentials need", c -> PgSubscriptionAuth.findings(c, plan, false, findings));
      s.run("reading the lock table size", c -> lockTableFindings(c, tables.size(), findings));
      s.run("checking the source role's privileges", c -> PgPrivileges.source(c, plan, tables, findings));
      t.run("checking the target role's privileges", c -> PgPrivileges.target(c, plan, tables, findings));
      s.run("comparing the roles the database uses", c -> PgRoleCheck.findings(c, t.connection(), findings));
      return Assessment.of(sourceInfo, targetInfo, tables, sequences, clients, bounded(findings));
    }
  }

  @Override
  public DatabaseIdentities identify(MigrationPlan plan) {
    return plan.seedingOrDefault().physical() ? PgIdentity.identifySeeded(plan) : PgIdentity.identify(plan);
  }

  @Override
  public void recordClients(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgClientLog.record(sides.source(), sides.target(), plan);
    }
  }

  @Override
  public ClientAccess clientAccess(MigrationPlan plan) {
    return PgClientAccess.check(plan);
  }

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

  /** Warnings only: the target may be fixed before the switchover, which is where missing access blocks. */
  private static void clientAccessFindings(PgSession s, PgSession t, MigrationPlan plan, List<Finding> findings) {
    try {
      ClientAccess preview = PgClientAccess.preview(s, t, plan);
      for (String gap : preview.blockers()) {
        findings.add(new Finding(Severity.WARNING, "client_access", "target access", gap
            + " (the switchover waits until the target admits every client the source shows during the migration)"));
      }
      for (ClientAdmission a : preview.clients()) {
        if (a.undecided()) {
          findings.add(new Finding(Severity.WARNING, "client_access_undecided", "target access",
              a.client().label() + ": " + a.verdict()));
        }
      }
    } catch (RuntimeException e) {
      findings.add(new Finding(Severity.WARNING, "client_access", "target access",
          "the target's access for the source's clients could not be checked now (" + e.getMessage()
              + "); the switchover checks it again and waits until it can"));
    }
  }

  static String describe(ClientConnection c) {
    String app = c.applicationName().isEmpty() ? "(no application_name)" : c.applicationName();
    return app + " from " + c.clientAddress() + " as " + c.user() + " x" + c.sessions();
  }

  private void serverFindings(ServerInfo source, ServerInfo target, List<Finding> findings) {
    if (!"logical".equals(source.walLevel())) {
      findings.add(new Finding(Severity.BLOCKER, "wal_level", "source wal_level",
          "the source runs with wal_level = " + source.walLevel() + ", logical replication needs logical;"
              + " run ALTER SYSTEM SET wal_level = logical on the source and restart it"));
    }
    if (source.freeReplicationSlots() < 1) {
      findings.add(new Finding(Severity.BLOCKER, "no_free_replication_slot", "source max_replication_slots",
          "every replication slot on the source is in use; drop an unused slot (pg_drop_replication_slot)"
              + " or raise max_replication_slots and restart the source"));
    }
    if (source.freeWalSenders() < 1) {
      findings.add(new Finding(Severity.BLOCKER, "no_free_wal_sender", "source max_wal_senders",
          "every WAL sender on the source is busy; raise max_wal_senders and restart the source"
              + " or stop a replication client"));
    }
    try {
      tools.forServers(source.versionNumber(), target.versionNumber());
    } catch (MigrationException e) {
      findings.add(new Finding(Severity.BLOCKER, "pg_dump_too_old", "worker pg_dump", e.getMessage()));
    }
    int sourceMajor = PgTools.serverMajor(source.versionNumber());
    int targetMajor = PgTools.serverMajor(target.versionNumber());
    if (targetMajor < sourceMajor) {
      findings.add(new Finding(Severity.BLOCKER, "target_version_older", "target version",
          "the target runs PostgreSQL " + target.version() + ", older than the source's " + source.version()
              + "; a schema from a newer server may not load on an older one; use a target running "
              + "PostgreSQL " + sourceMajor + " or newer"));
    }
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

  /**
   * Selected tables that exist on the target block the copy, unless they are the copy a rolled-back
   * migration left on a target that stayed read-only since: the migration replaces that itself.
   */
  private static void targetTableFindings(Connection t, List<TableInfo> tables, RolledBackCopy.Leftover left,
      List<Finding> findings) throws SQLException {
    List<String> replaced = new ArrayList<>();
    for (TableInfo table : tables) {
      String name = PgInventory.quoted(table);
      Boolean exists = Sql.one(t, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), name);
      if (exists == null || !exists) continue;
      if (left != null && left.retired()) {
        replaced.add(table.qualifiedName());
        continue;
      }
      Boolean hasRows;
      try {
        hasRows = Sql.one(t, "SELECT EXISTS (SELECT 1 FROM " + name + ")", rs -> rs.getBoolean(1));
      } catch (SQLException e) {
        // A relation of that name that cannot be read as a table (a view, missing privilege)
        // still blocks: the copy could not create the table.
        hasRows = null;
      }
      String state = hasRows == null ? "already exists" : hasRows ? "already exists and holds rows"
          : "already exists (empty)";
      findings.add(new Finding(Severity.BLOCKER, "table_exists_on_target", table.qualifiedName(),
          table.qualifiedName() + " " + state + " on the target; " + (left == null ? "the migration creates its"
              + " tables itself, so start from an empty target database (DROP TABLE " + name + " there, with the"
              + " types and sequences the table brought along) or exclude the table from the plan"
              : leftOpen(left, name, Sql.ident(t.getCatalog())))));
    }
    if (!replaced.isEmpty()) {
      findings.add(new Finding(Severity.INFO, "rolled_back_copy", "target",
          "the target holds the copy that migration " + left.migration() + " left when it was rolled back at "
              + left.rolledBackAt() + " (" + replaced.size() + " of the selected tables); the source took every"
              + " change back then and the target database has been read-only since, so this migration drops"
              + " that copy (the tables, their sequences and types, and Phaseshift's records) once it holds the"
              + " target's lease, lets the target take writes again and copies anew"));
    }
  }

  /** A rolled-back migration's copy on a target that was made writable since: a person decides. */
  private static String leftOpen(RolledBackCopy.Leftover left, String name, String database) {
    return "migration " + left.migration() + " left it there when it was rolled back at " + left.rolledBackAt()
        + ", and the target database was made writable since (its default_transaction_read_only is no longer"
        + " on), so it may hold writes the source lacks and the migration does not drop it. If nothing there is"
        + " needed, run ALTER DATABASE " + database + " SET default_transaction_read_only = on on the target"
        + " and this migration replaces the copy; otherwise keep what you need and DROP TABLE " + name
        + " there, or migrate to a fresh database";
  }
}
