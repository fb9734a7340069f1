package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientConnection;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.ServerInfo;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * PREPARE's assessment of a physically seeded migration, read from the source alone: the target is
 * the server the seeding creates, so nothing can be asked of it yet (its host's checks run on the
 * seeding queue). Besides the logical path's source checks, what pg_basebackup and
 * pg_createsubscriber need: the same major version from 17 on, a physical replication connection,
 * a superuser (the publication is FOR ALL TABLES), a key on every table of the database (that
 * publication covers them all, so an UPDATE of a table without one would fail on the source), no
 * other user database (the copy would carry a stale snapshot of it), and no object already holding
 * the names the seeding will create.
 */
final class PhysicalSeedAssessment {
  static final int MIN_MAJOR = 17;

  private PhysicalSeedAssessment() {}

  static Assessment assess(MigrationPlan plan) {
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      ServerInfo source = PgAssessmentParts.serverInfo(s);
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<String> sequences = s.call("listing sequences",
          c -> PgInventory.sequences(c, tables).stream().map(PgInventory.Seq::display).toList());
      List<ClientConnection> clients = s.call("listing client sessions", PgAssessmentParts::clients);
      List<Finding> findings = new ArrayList<>();
      replicationFindings(source, findings);
      PgAssessmentParts.tableFindings(tables, findings);
      s.run("checking the source role", c -> roleFindings(c, plan, findings));
      physicalConnection(PgEndpoint.source(plan), findings);
      s.run("listing the source's databases", c -> databaseFindings(c, findings));
      s.run("looking for the seeding's names", c -> nameFindings(c, plan, findings));
      PgObjectFindings.unlogged(plan, tables, findings);
      if (!clients.isEmpty()) {
        findings.add(new Finding(Severity.INFO, "client_connections", "source",
            clients.stream().mapToInt(ClientConnection::sessions).sum() + " client session(s) on the source: "
                + clients.stream().map(PgAssessmentParts::describe).collect(Collectors.joining(", "))
                + "; these applications must be pointed at the target at switchover"));
      }
      findings.add(new Finding(Severity.INFO, "physical_seeding", "seeding", "the target is seeded physically:"
          + " pg_basebackup copies the source's whole cluster (" + source.version() + ") into "
          + plan.seedingOrDefault().dataDirectory() + " on the target host and pg_createsubscriber turns it into a"
          + " subscriber; the new server starts with the source's roles, settings and pg_hba.conf"));
      findings.add(new Finding(Severity.INFO, "subscription_auth", "subscriptionAuth",
          plan.subscriptionAuthOrDefault().describe()));
      s.run("checking what the reverse subscription's credentials need",
          c -> PgSubscriptionAuth.findings(c, plan, false, findings));
      s.run("reading the lock table size", c -> PgAssessmentParts.lockTableFindings(c, tables.size(), findings));
      // What the target will be: the source's version, empty until the seeding copies the cluster.
      ServerInfo target = new ServerInfo(source.version(), source.versionNumber(), "logical", 0, 0, 0,
          source.extensions(), 0);
      return Assessment.of(source, target, tables, sequences, clients, PgAssessmentParts.bounded(findings));
    }
  }

  private static void replicationFindings(ServerInfo source, List<Finding> findings) {
    int major = PgTools.serverMajor(source.versionNumber());
    if (major < MIN_MAJOR) {
      findings.add(blocker("seeding_source_version", "source version", "the source runs PostgreSQL "
          + source.version() + "; physical seeding needs pg_createsubscriber, which exists from PostgreSQL "
          + MIN_MAJOR + ", on a source and target of the same major version; use seeding.method: logical"));
    }
    if (!"logical".equals(source.walLevel())) {
      findings.add(blocker("wal_level", "source wal_level", "the source runs with wal_level = "
          + source.walLevel() + ", and the subscriber the seeding makes needs logical; run ALTER SYSTEM SET"
          + " wal_level = logical on the source and restart it"));
    }
    // One slot for the copy's WAL stream and one for the subscription, and a sender for each.
    if (source.freeReplicationSlots() < 2) {
      findings.add(blocker("no_free_replication_slot", "source max_replication_slots", "physical seeding needs 2"
          + " free replication slots on the source (the copy's WAL stream, then the subscription's), "
          + source.freeReplicationSlots() + " are free; drop an unused slot or raise max_replication_slots and"
          + " restart the source"));
    }
    if (source.freeWalSenders() < 2) {
      findings.add(blocker("no_free_wal_sender", "source max_wal_senders", "physical seeding needs 2 free WAL"
          + " senders on the source (the copy and its WAL stream), " + source.freeWalSenders() + " are free;"
          + " raise max_wal_senders and restart the source, or stop a replication client"));
    }
  }

  private static void roleFindings(Connection c, MigrationPlan plan, List<Finding> findings) throws SQLException {
    Boolean superuser = Sql.one(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
        rs -> rs.getBoolean(1));
    if (!Boolean.TRUE.equals(superuser)) {
      findings.add(blocker("seeding_source_role", "source role", "physical seeding creates a publication FOR ALL"
          + " TABLES on the source, which only a superuser may; run the migration as a superuser of the source"
          + " (with REPLICATION), or use seeding.method: logical"));
    }
    // The target's role is a role of the copy, so it must exist on the source with the same powers.
    String targetUser = plan.target().user();
    Boolean targetSuper = Sql.one(c, "SELECT rolsuper AND rolcanlogin FROM pg_roles WHERE rolname = ?",
        rs -> rs.getBoolean(1), targetUser);
    if (!Boolean.TRUE.equals(targetSuper)) {
      findings.add(blocker("seeding_target_role", "target.user", "the new server is a copy of the source, so"
          + " target.user (" + targetUser + ") is a role of the source's: " + (targetSuper == null ? "it does not"
          + " exist there" : "there it is no superuser that may log in") + "; name a superuser of the source as"
          + " target.user (its password is the source's)"));
    }
  }

  /**
   * IDENTIFY_SYSTEM over a physical replication connection ({@code replication=true}), the one
   * pg_basebackup opens: refused when pg_hba.conf has no {@code replication} entry for the role or
   * the role lacks REPLICATION.
   */
  private static void physicalConnection(PgEndpoint source, List<Finding> findings) {
    try (Connection r = source.connectPhysicalReplication()) {
      Sql.one(r, "IDENTIFY_SYSTEM", rs -> rs.getString(1));
    } catch (SQLException | RuntimeException e) {
      findings.add(blocker("seeding_replication_connection", "source replication access", "the source refused a"
          + " physical replication connection as " + source.user() + " (" + PgEndpoint.redact(e.getMessage())
          + "); pg_basebackup needs one: give the role REPLICATION and add a 'host replication " + source.user()
          + " <target host>/32 scram-sha-256' line to the source's pg_hba.conf, then reload it"));
    }
  }

  private static void databaseFindings(Connection c, List<Finding> findings) throws SQLException {
    if (Boolean.TRUE.equals(Sql.one(c, "SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1)))) {
      findings.add(blocker("seeding_source_in_recovery", "source", "the source is a standby; the seeding creates"
          + " a publication and a slot on it, which only a primary can: point source.url at the primary"));
    }
    List<String> others = Sql.query(c, "SELECT datname FROM pg_database WHERE datname <> current_database()"
        + " AND datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1", rs -> rs.getString(1));
    if (!others.isEmpty()) {
      findings.add(blocker("seeding_other_databases", "source databases", "the source also holds database(s) "
          + String.join(", ", others) + "; the physical copy carries the whole cluster but keeps only this"
          + " database current, so the new server would hold stale copies of them: move them with seeding.method:"
          + " logical (a migration each), or drop them from the source first"));
    }
    List<String> subscriptions = Sql.query(c, "SELECT subname FROM pg_subscription WHERE subdbid ="
        + " (SELECT oid FROM pg_database WHERE datname = current_database())", rs -> rs.getString(1));
    if (!subscriptions.isEmpty()) {
      findings.add(blocker("seeding_source_subscriptions", "source subscriptions", "the source database has"
          + " subscription(s) " + String.join(", ", subscriptions) + ", which the copy would carry and start"
          + " along with the source's, both streaming from the same publisher; use seeding.method: logical"));
    }
  }

  /** A publication, slot or subscription of the seeding's names would make pg_createsubscriber fail half-way. */
  private static void nameFindings(Connection c, MigrationPlan plan, List<Finding> findings) throws SQLException {
    String name = plan.objectName();
    List<String> taken = new ArrayList<>();
    if (Sql.one(c, "SELECT 1 FROM pg_publication WHERE pubname = ?", rs -> 1, PgNames.publication(plan)) != null) {
      taken.add("publication " + PgNames.publication(plan) + " (DROP PUBLICATION " + Sql.ident(name) + ")");
    }
    if (PgReplication.slotExists(c, PgNames.slot(plan))) {
      taken.add("replication slot " + PgNames.slot(plan) + " (SELECT pg_drop_replication_slot("
          + Sql.literal(name) + "))");
    }
    if (Sql.one(c, "SELECT 1 FROM pg_subscription WHERE subname = ?", rs -> 1, PgNames.subscription(plan)) != null) {
      taken.add("subscription " + PgNames.subscription(plan) + " (DROP SUBSCRIPTION " + Sql.ident(name) + ")");
    }
    if (!taken.isEmpty()) {
      findings.add(blocker("seeding_names_taken", "source", "the source already has " + String.join(", ", taken)
          + ", the name(s) the seeding gives its own objects; if an earlier attempt of this migration left them,"
          + " remove them as shown, or rename the migration"));
    }
  }

  private static Finding blocker(String code, String subject, String message) {
    return new Finding(Severity.BLOCKER, code, subject, message);
  }
}
