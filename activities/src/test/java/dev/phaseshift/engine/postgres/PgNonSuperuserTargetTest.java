package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A target migration role that is not a superuser (CREATEROLE, owner of the target database, as
 * managed services give): the schema copy still gives every object back to its owner, also where
 * the owner could not create on the target until the dump's own grants ran.
 */
class PgNonSuperuserTargetTest extends PgVersionPairTesting {
  @BeforeAll
  void start() throws Exception {
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE ROLE app_owner LOGIN PASSWORD 'Own3r-kept-out-of-logs'", "CREATE ROLE other_owner",
          "CREATE SCHEMA shop AUTHORIZATION app_owner",
          "CREATE TYPE shop.mood AS ENUM ('ok', 'sad')", "ALTER TYPE shop.mood OWNER TO app_owner",
          "CREATE TABLE shop.items (id int PRIMARY KEY, mood shop.mood)", "ALTER TABLE shop.items OWNER TO app_owner",
          "GRANT CREATE ON SCHEMA public TO app_owner",
          "CREATE TABLE public.notes (id int PRIMARY KEY)", "ALTER TABLE public.notes OWNER TO app_owner",
          "CREATE SCHEMA mixed AUTHORIZATION other_owner", "GRANT USAGE ON SCHEMA mixed TO app_owner",
          "CREATE TABLE mixed.logs (id int PRIMARY KEY)", "ALTER TABLE mixed.logs OWNER TO app_owner");
      exec(t, "CREATE ROLE mig LOGIN CREATEROLE", "ALTER DATABASE app OWNER TO mig",
          // Every statement logged, as some audited servers do: no verifier may reach the log.
          "ALTER SYSTEM SET log_statement = 'all'", "ALTER SYSTEM SET log_min_duration_statement = 0",
          "SELECT pg_reload_conf()");
    }
  }

  MigrationPlan plan() {
    MigrationPlan p = pair.plan("nonsuper");
    return new MigrationPlan(p.name(), p.source(), new Endpoint(p.target().url(), "mig", null), p.tables(),
        p.copyParallelism(), p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy()).withDefaults();
  }

  @Test
  void everyObjectGoesBackToItsOwnerAndNoGrantIsLeftThatTheSourceLacks() throws Exception {
    new PgSchemaCopier(tools).createTables(plan());
    try (Connection t = pair.target()) {
      assertEquals("app_owner", text(t, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'shop'"));
      assertEquals("app_owner", text(t, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'shop.items'::regclass"));
      assertEquals("app_owner", text(t, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.notes'::regclass"));
      assertEquals("app_owner", text(t, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'mixed.logs'::regclass"));
      assertEquals("app_owner", text(t, "SELECT typowner::regrole::text FROM pg_type WHERE oid = 'shop.mood'::regtype"));
      // Whatever the copy needed for a moment is gone: the privileges are the source's.
      assertEquals("false", text(t, "SELECT has_schema_privilege('app_owner', 'mixed', 'CREATE')::text"));
      assertEquals("false", text(t, "SELECT has_database_privilege('app_owner', 'app', 'CREATE')::text"));
      assertEquals("true", text(t, "SELECT has_schema_privilege('app_owner', 'public', 'CREATE')::text"));
      assertEquals("false", text(t, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'mig'"));
    }
    // The password verifier arrived, and the target's server log, with every statement logged, holds none of it.
    try (Connection s = pair.source(); Connection t = pair.target()) {
      String verifier = text(s, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'");
      assertEquals(verifier, text(t, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_owner'"));
      Path log = Path.of(text(t, "SHOW data_directory")).getParent().resolve("server.log");
      if (Files.exists(log)) {
        String logged = Files.readString(log);
        assertTrue(logged.contains("CREATE ROLE \"app_owner\""), "the log records statements: " + log);
        String hash = verifier.substring(verifier.lastIndexOf(':') + 1);
        assertFalse(logged.contains(hash) || logged.contains(verifier.substring(0, 40)), "a verifier in " + log);
      }
    }
  }

  @Test
  void anOwnerTheTargetHasAlreadyAndTheRoleCannotActAsBlocksPrepareWithTheGrantToRun() throws Exception {
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE ROLE reporting_owner", "CREATE SCHEMA reporting AUTHORIZATION reporting_owner");
      exec(t, "CREATE ROLE reporting_owner");
      try {
        java.util.Properties as = new java.util.Properties();
        as.setProperty("user", "mig");
        List<Finding> findings = new ArrayList<>();
        try (Connection mig = java.sql.DriverManager.getConnection(pair.target.jdbcUrl(PgPair.DATABASE), as)) {
          PgOwnerChecks.findings(s, mig, "mig", java.util.Set.of("reporting_owner"), findings);
        }
        String grant = "run on the target: GRANT \"reporting_owner\" TO \"mig\"" + (majors()[1] >= 16 ? " WITH SET TRUE" : "");
        assertTrue(findings.stream().anyMatch(f -> f.severity() == Severity.BLOCKER && f.message().endsWith(grant)),
            findings.toString());
      } finally {
        exec(s, "DROP SCHEMA reporting", "DROP ROLE reporting_owner");
        exec(t, "DROP ROLE reporting_owner");
      }
    }
  }
}
