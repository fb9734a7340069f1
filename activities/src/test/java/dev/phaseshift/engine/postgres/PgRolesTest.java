package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.activities.MigrationActivitiesImpl;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Roles the target has already are compared and reported, never changed; and when the source's
 * migration role may not read password verifiers, PREPARE names the login roles that will arrive
 * without one, and the switchover's check holds until each has one on the target.
 */
class PgRolesTest extends PgPairTest {
  private static final List<String> ROLES = List.of("app_owner", "app_login", "app_reader", "mig_plain");

  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    for (Connection c : new Connection[] {pairs.source(), pairs.target()}) {
      try (c) {
        for (String role : ROLES) exec(c, "DROP ROLE IF EXISTS " + role);
      }
    }
    try (Connection s = pairs.source()) {
      exec(s, "CREATE ROLE app_owner NOLOGIN", "CREATE ROLE app_login LOGIN PASSWORD 'login-pw' IN ROLE app_owner",
          "CREATE ROLE app_reader LOGIN CONNECTION LIMIT 5",
          "CREATE TABLE items (id bigint PRIMARY KEY, name text)", "ALTER TABLE items OWNER TO app_owner",
          "GRANT SELECT ON items TO app_reader", "CREATE ROLE mig_plain LOGIN");
    }
  }

  /** The migration's role as the worker connects: its sessions are not clients of the database. */
  private static Connection asPlainRole(String url) throws java.sql.SQLException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", "mig_plain");
    p.setProperty("ApplicationName", "phaseshift");
    return DriverManager.getConnection(url, p);
  }

  @Test
  void aRoleTheTargetHasIsReportedNotOverwritten() throws Exception {
    try (Connection t = pairs.target()) {
      exec(t, "CREATE ROLE app_reader LOGIN CREATEDB CONNECTION LIMIT 2");
    }
    MigrationPlan plan = pairs.plan("roles-differ");

    List<Finding> differs = new PgInspector(tools).assess(plan).findings().stream()
        .filter(f -> f.code().equals("role_differs_on_target")).toList();
    assertEquals(1, differs.size(), differs.toString());
    assertEquals(Severity.BLOCKER, differs.get(0).severity(), "PREPARE stops before a copy that validation would fail");
    assertTrue(differs.get(0).message().contains("CONNECTION LIMIT 5 on the source")
        && differs.get(0).message().contains("CREATEDB"), differs.get(0).message());

    new PgSchemaCopier(tools).createTables(plan);

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(2, count(t, "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app_reader'"), "left as it was");
      assertEquals("true", text(t, "SELECT rolcreatedb::text FROM pg_roles WHERE rolname = 'app_reader'"));
      assertEquals("app_owner", text(t, "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"));
      assertEquals("true", text(t, "SELECT pg_has_role('app_login', 'app_owner', 'MEMBER')::text"),
          "a created role gets its memberships");
      assertEquals(List.of("role app_reader: attributes NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN"
              + " NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 on the source, NOSUPERUSER INHERIT NOCREATEROLE CREATEDB"
              + " LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 2 on the target"),
          PgRoleCheck.differences(s, t), "validation reports the difference, and only it");
      exec(t, "ALTER ROLE app_reader NOCREATEDB CONNECTION LIMIT 5");
      assertEquals(List.of(), PgRoleCheck.differences(s, t), "aligned by hand, nothing differs");
    }
  }

  @Test
  void aSubsetOfTablesBringsItsSchemasOwnersGrantsAndDefaultPrivileges() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s, "CREATE SCHEMA inv AUTHORIZATION app_owner", "GRANT USAGE ON SCHEMA inv TO app_reader",
          "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA inv GRANT SELECT ON TABLES TO app_reader",
          "CREATE TABLE inv.stock (id bigint PRIMARY KEY, qty int)", "ALTER TABLE inv.stock OWNER TO app_owner",
          "CREATE TABLE inv.scratch (id bigint PRIMARY KEY)");
    }
    MigrationPlan plan = PgTestSupport.withTables(pairs.plan("roles-subset"),
        new TableSelection(List.of("inv.stock"), List.of()));

    new PgSchemaCopier(tools).createTables(plan);

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals("app_owner", text(t, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'inv'"));
      assertEquals("true", text(t, "SELECT has_schema_privilege('app_reader', 'inv', 'USAGE')::text"));
      assertEquals("app_owner", text(t, "SELECT tableowner FROM pg_tables WHERE tablename = 'stock'"));
      assertEquals(List.of(), PgRoleCheck.schemaAccessDifferences(s, t, java.util.Set.of("inv")));
      exec(t, "REVOKE USAGE ON SCHEMA inv FROM app_reader");
      assertEquals(List.of("missing on target: GRANT USAGE ON SCHEMA inv TO app_reader;"),
          PgRoleCheck.schemaAccessDifferences(s, t, java.util.Set.of("inv")), "a lost grant is a difference");
    }
  }

  @Test
  void theMigrationsOwnRoleIsNotTakenForOneOfTheApplications() throws Exception {
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      // As PREPARE asks: the source role is a member of the owners, and each side's role differs.
      exec(s, "ALTER ROLE mig_plain REPLICATION", "GRANT app_owner TO mig_plain");
      exec(t, "CREATE ROLE mig_plain LOGIN CREATEROLE");
    }
    try (Connection plain = asPlainRole(pairs.source.jdbcUrl("app")); Connection t = pairs.target()) {
      assertTrue(!PgRoles.used(plain).contains("mig_plain"), PgRoles.used(plain).toString());
      PgBookkeepingSchema.ensure(PgEndpoint.target(pairs.plan("roles-own")), t);
      assertEquals(List.of(), PgRoleSync.sync(plain, t).differences());
      assertEquals(List.of(), PgRoleCheck.differences(plain, t));
    }
  }

  @Test
  void undoOnADisposableTargetDropsTheRolesItCreatedAndKeepsTheOthers() throws Exception {
    try (Connection t = pairs.target()) {
      exec(t, "CREATE ROLE app_reader LOGIN CONNECTION LIMIT 5");
    }
    MigrationPlan p = pairs.plan("roles-undo");
    MigrationPlan plan = new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(),
        p.cutover(), false, p.retention(), p.requestedBy(), null, null, null, true, null, null, null).withDefaults();
    new PgSchemaCopier(tools).createTables(plan);
    try (Connection t = pairs.target()) {
      assertEquals(2, count(t, "SELECT count(*) FROM pg_roles WHERE rolname IN ('app_owner', 'app_login')"));
    }

    PgTargetObjects.drop(plan);

    try (Connection t = pairs.target()) {
      assertEquals(0, count(t, "SELECT count(*) FROM pg_roles WHERE rolname IN ('app_owner', 'app_login')"),
          "the roles the migration created are gone");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'app_reader'"), "a role it found stays");
    }
  }

  @Test
  void withoutReadablePasswordsTheSwitchoverWaitsForEachLoginRole() throws Exception {
    MigrationPlan plan = pairs.plan("roles-no-password");
    try (Connection plain = asPlainRole(pairs.source.jdbcUrl("app"));
        Connection t = pairs.target()) {
      assertTrue(!PgRoles.mayReadVerifiers(plain), "a plain role may not read pg_authid");
      List<Finding> findings = new ArrayList<>();
      PgRoleCheck.findings(plain, t, findings);
      List<Finding> noPassword = findings.stream().filter(f -> f.code().equals("role_without_password")).toList();
      assertEquals(1, noPassword.size(), findings.toString());
      assertEquals(Severity.WARNING, noPassword.get(0).severity(), "the target can check, so it need not block");
      assertEquals("login roles app_login, app_reader", noPassword.get(0).subject());

      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), t);
      PgRoleSync.sync(plain, t);
      assertNull(text(t, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_login'"));
    }

    MigrationActivitiesImpl steps = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())));
    List<String> holds = steps.longWriteTransactions(plan);
    assertEquals(2, holds.size(), holds.toString());
    assertTrue(holds.get(0).startsWith("a password for login role app_login on the target")
        && holds.get(0).endsWith("ALTER ROLE \"app_login\" PASSWORD '...'"), holds.get(0));

    try (Connection t = pairs.target()) {
      exec(t, "ALTER ROLE app_login PASSWORD 'set-by-the-dba'", "ALTER ROLE app_reader PASSWORD 'another'");
    }
    assertEquals(List.of(), steps.longWriteTransactions(plan), "once each has a password nothing holds");
  }

  @Test
  void whenNeitherSideMayReadPasswordsPrepareBlocks() throws Exception {
    try (Connection t = pairs.target()) {
      exec(t, "CREATE ROLE mig_plain LOGIN CREATEROLE", "ALTER DATABASE app OWNER TO mig_plain");
    }
    MigrationPlan p = pairs.plan("roles-plain");
    MigrationPlan plan = new MigrationPlan(p.name(), p.source(),
        new dev.phaseshift.plan.Endpoint(p.target().url(), "mig_plain", null), p.tables(), p.copyParallelism(),
        p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy()).withDefaults();
    try (Connection plain = asPlainRole(pairs.source.jdbcUrl("app"));
        Connection plainTarget = asPlainRole(pairs.target.jdbcUrl("app"))) {
      List<Finding> findings = new ArrayList<>();
      PgRoleCheck.findings(plain, plainTarget, findings);
      Finding f = findings.stream().filter(x -> x.code().equals("role_without_password")).findFirst().orElseThrow();
      assertEquals(Severity.BLOCKER, f.severity(), f.message());
      assertTrue(f.message().contains("nobody can check"), f.message());
      // Not a superuser: the copy hands objects to their owners as PostgreSQL lets a member of them.
      assertTrue(findings.stream().anyMatch(x -> x.code().equals("owners_handover") && x.severity() == Severity.INFO
          && x.message().contains("app_owner")), findings.toString());

      // A role that is not a superuser creates the roles and becomes a member of the owners among
      // them, which giving objects back to them requires.
      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), plainTarget);
      PgRoleSync.sync(plain, plainTarget);
      assertEquals("true", text(plainTarget, "SELECT pg_has_role('mig_plain', 'app_owner', 'MEMBER')::text"));
      assertEquals(List.of("a check that the login roles app_login, app_reader, created without their password,"
          + " can log in on the target: the target role may not read pg_authid; set their passwords and run the"
          + " migration's target role as a superuser, so the check can see them"),
          PgRoleCheck.loginsNotReady(plainTarget), "what cannot be checked holds the switchover too");
    }
  }
}
