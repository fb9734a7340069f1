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
      ServerInfo sourceInfo = PgAssessmentParts.serverInfo(s);
      ServerInfo targetInfo = PgAssessmentParts.serverInfo(t);
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<String> sequences = s.call("listing sequences",
          c -> PgInventory.sequences(c, tables).stream()
              .map(PgInventory.Seq::display).toList());
      List<ClientConnection> clients = s.call("listing client sessions", PgAssessmentParts::clients);

      List<Finding> findings = new ArrayList<>();
      serverFindings(sourceInfo, targetInfo, findings);
      PgVersionHazards.findings(s.call("reading the source's encoding and collation", PgVersionHazards::read),
          t.call("reading the target's encoding and collation", PgVersionHazards::read), findings);
      PgAssessmentParts.tableFindings(tables, findings);
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
                + clients.stream().map(PgAssessmentParts::describe).collect(Collectors.joining(", "))
                + "; these applications must be pointed at the target at switchover"));
      }
      // Early word on what the switchover will wait for, while the plan can still retire a client.
      clientAccessFindings(s, t, plan, findings);
      // PREPARE says where the subscriptions' credentials will live, before anything exists.
      findings.add(new Finding(Severity.INFO, "subscription_auth", "subscriptionAuth", plan.subscriptionAuthOrDefault().describe()));
      t.run("checking what the forward subscription's credentials need", c -> PgSubscriptionAuth.findings(c, plan, true, findings));
      s.run("checking what the reverse subscription's credentials need", c -> PgSubscriptionAuth.findings(c, plan, false, findings));
      s.run("reading the lock table size", c -> PgAssessmentParts.lockTableFindings(c, tables.size(), findings));
      s.run("checking the source role's privileges", c -> PgPrivileges.source(c, plan, tables, findings));
      t.run("checking the target role's privileges", c -> PgPrivileges.target(c, plan, tables, findings));
      s.run("comparing the roles the database uses", c -> PgRoleCheck.findings(c, t.connection(), findings));
      return Assessment.of(sourceInfo, targetInfo, tables, sequences, clients, PgAssessmentParts.bounded(findings));
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
