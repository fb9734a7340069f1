package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ClientConnection;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgInspectorTest extends PgPairTest {
  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
  }

  private Assessment assess(MigrationPlan plan) {
    return new PgInspector(tools).assess(plan);
  }

  static Finding finding(Assessment a, String code, String subject) {
    return a.findings().stream().filter(f -> f.code().equals(code) && f.subject().equals(subject)).findFirst()
        .orElseThrow(() -> new AssertionError("no finding " + code + " for " + subject + " in " + a.findings()));
  }

  @Test
  void cleanSchemaHasNoBlockersAndReportsSizes() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE SCHEMA sales",
          "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL)",
          "CREATE TABLE sales.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
              + " customer_id int REFERENCES customers(id), amount numeric(10,2))",
          "CREATE TABLE audit_log (at timestamptz, what text)",
          "ALTER TABLE audit_log REPLICA IDENTITY FULL",
          "INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, 5000) g",
          "INSERT INTO sales.orders (customer_id, amount) SELECT 1 + g % 5000, g FROM generate_series(1, 20000) g",
          "ANALYZE");
    }
    Assessment a = assess(pairs.plan("inspect-clean"));

    assertEquals(List.of(), a.blockers(), "blockers of a clean schema");
    assertEquals("logical", a.source().walLevel());
    assertTrue(a.source().versionNumber() >= 150000, "version " + a.source().versionNumber());
    assertTrue(a.source().freeReplicationSlots() > 0);
    assertTrue(a.source().freeWalSenders() > 0);
    assertTrue(a.source().databaseBytes() > 0);
    assertTrue(a.source().extensions().contains("plpgsql"), "extensions " + a.source().extensions());
    assertEquals(0, a.source().largeObjects());

    assertEquals(List.of("public.audit_log", "public.customers", "sales.orders"),
        a.tables().stream().map(TableInfo::qualifiedName).toList());
    TableInfo orders = a.tables().get(2);
    assertTrue(orders.hasPrimaryKey());
    assertEquals("default", orders.replicaIdentity());
    assertFalse(orders.unlogged());
    assertEquals(20000, orders.estimatedRows(), 200, "estimate after ANALYZE");
    assertTrue(orders.bytes() > 500_000, "bytes " + orders.bytes());
    assertEquals(5000, a.tables().get(1).estimatedRows(), 100);
    assertTrue(a.totalBytes() > orders.bytes());
    assertEquals(List.of("public.customers_id_seq", "sales.orders_id_seq"), a.sequences());

    Finding full = finding(a, "replica_identity_full", "public.audit_log");
    assertEquals(Severity.WARNING, full.severity());
    assertTrue(full.message().contains("primary key"), full.message());
  }

  @Test
  void blockersSayWhatIsWrongAndHowToFixIt() throws Exception {
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s,
          "CREATE TABLE no_key (a int, b text)",
          "CREATE TABLE keyed_nothing (id int PRIMARY KEY)",
          "ALTER TABLE keyed_nothing REPLICA IDENTITY NOTHING",
          "CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)",
          "CREATE TABLE products (id int PRIMARY KEY)",
          "CREATE TABLE prices (id int PRIMARY KEY)",
          "CREATE TABLE clean (id int PRIMARY KEY)",
          "SELECT lo_from_bytea(0, 'blob')");
      exec(t,
          "CREATE TABLE products (id int PRIMARY KEY)",
          "INSERT INTO products VALUES (1)",
          "CREATE TABLE prices (id int PRIMARY KEY)");
    }
    Assessment a = assess(pairs.plan("inspect-blockers"));

    Finding noKey = finding(a, "no_replica_identity", "public.no_key");
    assertEquals(Severity.BLOCKER, noKey.severity());
    assertTrue(noKey.message().contains("REPLICA IDENTITY FULL") && noKey.message().contains("primary key"),
        noKey.message());
    assertEquals(Severity.BLOCKER, finding(a, "no_replica_identity", "public.keyed_nothing").severity());

    // An unlogged table no longer has to be made logged on the production source: it is copied
    // again inside the freeze, and the finding says so with the cost and the alternatives.
    Finding unlogged = finding(a, "unlogged_table", "public.scratch");
    assertEquals(Severity.WARNING, unlogged.severity());
    assertTrue(unlogged.message().contains("inside the write freeze") && unlogged.message().contains("SET LOGGED")
        && unlogged.message().contains("ms of cutover.maxFreeze"), unlogged.message());
    assertTrue(a.tables().stream().filter(TableInfo::unlogged).map(TableInfo::name).toList().contains("scratch"));

    Finding withRows = finding(a, "table_exists_on_target", "public.products");
    assertEquals(Severity.BLOCKER, withRows.severity());
    assertTrue(withRows.message().contains("holds rows") && withRows.message().contains("exclude"),
        withRows.message());
    assertEquals(Severity.BLOCKER, finding(a, "table_exists_on_target", "public.prices").severity());

    Finding lo = finding(a, "large_objects", "pg_largeobject");
    assertEquals(Severity.INFO, lo.severity());
    assertTrue(lo.message().contains("copied by oid") && lo.message().contains("inside it"), lo.message());
    assertEquals(1, a.source().largeObjects());

    assertEquals(4, a.blockers().size(), "blockers " + a.blockers());

    // Excluding the offending tables clears their blockers.
    Assessment narrowed = assess(PgTestSupport.withTables(pairs.plan("inspect-blockers"),
        new TableSelection(List.of(), List.of("public.no_key", "public.keyed_nothing", "scratch", "pr*"))));
    assertEquals(List.of(), narrowed.blockers());
    assertEquals(List.of("public.clean"), narrowed.tables().stream().map(TableInfo::qualifiedName).toList());
  }

  @Test
  void noSelectedTablesAndOldPgDumpAreBlockers() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE items (id int PRIMARY KEY)");
    }
    MigrationPlan none = PgTestSupport.withTables(pairs.plan("inspect-none"),
        new TableSelection(List.of("nosuch.*"), List.of()));
    Assessment a = assess(none);
    assertEquals(Severity.BLOCKER, finding(a, "no_tables_selected", "tables").severity());

    PgTools old = new PgTools(List.of(new PgTools.Installation(Path.of("/opt/pg14/bin/pg_dump"),
        Path.of("/opt/pg14/bin/psql"), 14, "pg_dump (PostgreSQL) 14.12")));
    Assessment withOld = new PgInspector(old).assess(pairs.plan("inspect-old"));
    Finding tooOld = finding(withOld, "pg_dump_too_old", "worker pg_dump");
    assertEquals(Severity.BLOCKER, tooOld.severity());
    assertTrue(tooOld.message().startsWith("pg_dump 14 found, source runs PostgreSQL 15; install postgresql-client-15"),
        tooOld.message());
    assertTrue(tooOld.message().contains(PgTools.BIN_ENV), tooOld.message());
  }

  @Test
  void toolsMatchTheServerVersion() {
    PgTools.Installation fifteen = tools.forServer(150018);
    assertTrue(fifteen.major() >= 15, fifteen.toString());
    assertTrue(fifteen.pgDump().endsWith("pg_dump") && fifteen.psql().endsWith("psql"));
    MigrationException e = assertThrows(MigrationException.class, () -> tools.forServer(990000));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("source runs PostgreSQL 99; install postgresql-client-99"), e.getMessage());
    MigrationException none = assertThrows(MigrationException.class, () -> new PgTools(List.of()).forServer(150000));
    assertTrue(none.getMessage().startsWith("no pg_dump found"), none.getMessage());
  }

  @Test
  void listsClientConnectionsButNotPhaseshiftsOwn() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE items (id int PRIMARY KEY)");
    }
    Properties app = new Properties();
    app.setProperty("user", "postgres");
    app.setProperty("ApplicationName", "shop-api");
    try (Connection shop1 = DriverManager.getConnection(pairs.source.jdbcUrl(PgPair.DATABASE), app);
        Connection shop2 = DriverManager.getConnection(pairs.source.jdbcUrl(PgPair.DATABASE), app)) {
      Assessment a = assess(pairs.plan("inspect-clients"));
      ClientConnection shop = a.clients().stream().filter(c -> c.applicationName().equals("shop-api")).findFirst()
          .orElseThrow(() -> new AssertionError("no shop-api in " + a.clients()));
      assertEquals(2, shop.sessions());
      assertEquals("postgres", shop.user());
      assertEquals("127.0.0.1", shop.clientAddress());
      assertTrue(a.clients().stream().noneMatch(c -> c.applicationName().equals("phaseshift")), a.clients().toString());
      Finding info = finding(a, "client_connections", "source");
      assertEquals(Severity.INFO, info.severity());
      assertTrue(info.message().contains("shop-api"), info.message());
      assertEquals(List.of(), a.blockers());
    }
  }

  @Test
  void anUnreachableServerIsRetriedButWrongCredentialsFailAtOnce() {
    MigrationPlan plan = pairs.plan("inspect-down");
    MigrationPlan down = new MigrationPlan(plan.name(),
        new dev.phaseshift.plan.Endpoint("jdbc:postgresql://127.0.0.1:1/app", "postgres", null), plan.target(),
        plan.tables(), plan.copyParallelism(), plan.cutover(), plan.approvalRequired(), plan.retention(),
        plan.requestedBy());
    // Refused connections may be a restart or a network blip: typed Unreachable, which Temporal retries.
    MigrationException refused = assertThrows(MigrationException.class, () -> assess(down));
    assertEquals(FailureTypes.UNREACHABLE, refused.type());
    assertTrue(refused.retryable(), "an unreachable server is worth another attempt");
    assertTrue(refused.getMessage().contains("cannot connect to source 127.0.0.1:1/app"), refused.getMessage());

    MigrationPlan noDatabase = new MigrationPlan(plan.name(),
        new dev.phaseshift.plan.Endpoint(pairs.source.jdbcUrl("no_such_db"), "postgres", null), plan.target(),
        plan.tables(), plan.copyParallelism(), plan.cutover(), plan.approvalRequired(), plan.retention(),
        plan.requestedBy());
    MigrationException missing = assertThrows(MigrationException.class, () -> assess(noDatabase));
    assertEquals(FailureTypes.PREREQUISITE, missing.type());
    assertTrue(missing.getMessage().contains("no_such_db"), missing.getMessage());
  }
}
