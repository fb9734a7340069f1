package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phaseshift.embedded.PgServerVersions;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PREPARE across major versions, on a PostgreSQL 15 source and an 18 target: the client tools are
 * chosen for the newer server and a missing one is named for that server before anything changes
 * (the 15 -> 17 failure from the field, one major further); the assessment reports what differs in
 * encoding and collation between the two databases.
 */
class PgVersionHazardsTest {
  static PgPair pair;
  /** A collation the source database does not use. */
  static String otherCollation;

  @BeforeAll
  static void servers() throws Exception {
    var missing = PgServerVersions.unavailable(18);
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    pair = PgPair.of(15, 18);
    try (Connection s = pair.source()) {
      exec(s, "CREATE TABLE items (id int PRIMARY KEY, name text)", "INSERT INTO items VALUES (1, 'a')");
      String sourceCollate = PgTestSupport.text(s, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
      otherCollation = "C".equals(sourceCollate) ? "C.UTF-8" : "C";
    }
    try (Connection t = pair.target.connect("postgres")) {
      exec(t, "CREATE DATABASE latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
          "CREATE DATABASE utf8 ENCODING 'UTF8' LC_COLLATE '" + otherCollation + "' LC_CTYPE '" + otherCollation
              + "' TEMPLATE template0");
    }
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  private static MigrationPlan into(String database) {
    MigrationPlan p = pair.plan("hazards-" + database);
    return new MigrationPlan(p.name(), p.source(), pair.target.endpoint(database), p.tables(), p.copyParallelism(),
        p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(),
        p.router(), p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl(), p.mode(),
        p.lockTimeout());
  }

  private static Optional<Finding> finding(Assessment a, String code) {
    return a.findings().stream().filter(f -> f.code().equals(code)).findFirst();
  }

  @Test
  void toolsOlderThanTheTargetAreABlockerThatNamesTheTarget() {
    PgTools fifteen = new PgTools(List.of(new PgTools.Installation(Path.of("/usr/lib/postgresql/15/bin/pg_dump"),
        Path.of("/usr/lib/postgresql/15/bin/psql"), 15, "pg_dump (PostgreSQL) 15.14")));
    Assessment a = new PgInspector(fifteen).assess(pair.plan("hazards-tools"));

    Finding tooOld = finding(a, "pg_dump_too_old").orElseThrow(() -> new AssertionError(a.findings().toString()));
    assertEquals(Severity.BLOCKER, tooOld.severity());
    assertTrue(tooOld.message().startsWith("pg_dump 15 found, target runs PostgreSQL 18 (source 15);"
        + " install postgresql-client-18 on the worker"), tooOld.message());

    // The worker's own tools: whatever it found reaches 18 (the PyPI package), so nothing blocks.
    PgTools.Installation chosen = PgTools.detect().forServers(150000, 180000);
    assertTrue(chosen.major() >= 18, chosen.toString());
    Assessment ok = new PgInspector(PgTools.detect()).assess(pair.plan("hazards-tools-ok"));
    assertFalse(finding(ok, "pg_dump_too_old").isPresent(), ok.findings().toString());
  }

  @Test
  void aTargetDatabaseInAnotherEncodingIsABlocker() {
    Assessment a = new PgInspector(PgTools.detect()).assess(into("latin1"));
    Finding f = finding(a, "encoding_differs").orElseThrow(() -> new AssertionError(a.findings().toString()));
    assertEquals(Severity.BLOCKER, f.severity());
    assertTrue(f.message().contains("encoded UTF8, the target database LATIN1"), f.message());
  }

  @Test
  void aTargetDatabaseWithAnotherCollationIsReported() {
    Assessment a = new PgInspector(PgTools.detect()).assess(into("utf8"));
    Finding f = finding(a, "collation_differs").orElseThrow(() -> new AssertionError(a.findings().toString()));
    assertEquals(Severity.WARNING, f.severity());
    assertTrue(f.message().contains("is " + otherCollation + " (libc") && f.message().contains("CREATE DATABASE \"utf8\""),
        f.message());
    Assessment same = new PgInspector(PgTools.detect()).assess(pair.plan("hazards-same"));
    assertFalse(finding(same, "collation_differs").isPresent(), same.findings().toString());
    assertFalse(finding(same, "encoding_differs").isPresent(), same.findings().toString());
  }

  @Test
  void aTargetDatabaseWhoseCollationVersionNoLongerMatchesItsLibraryIsReported() throws Exception {
    String actual;
    try (Connection t = pair.target.connect("postgres")) {
      // PostgreSQL 17's builtin provider versions its C.UTF-8 collation wherever the server runs
      // (test machines may have no libc locale but C and C.UTF-8, which carry no version).
      exec(t, "CREATE DATABASE stale TEMPLATE template0 LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'");
      actual = PgTestSupport.text(t, "SELECT pg_database_collation_actual_version(oid) FROM pg_database"
          + " WHERE datname = 'stale'");
      assumeTrue(actual != null, "the builtin collation C.UTF-8 has no version to compare");
      // As if the database had been created under an older library: its recorded version stays behind.
      exec(t, "UPDATE pg_database SET datcollversion = '0.1' WHERE datname = 'stale'");
    }
    Assessment a = new PgInspector(PgTools.detect()).assess(into("stale"));
    Finding f = finding(a, "collation_version_mismatch").orElseThrow(() -> new AssertionError(a.findings().toString()));
    assertEquals(Severity.WARNING, f.severity());
    assertTrue(f.message().startsWith("the target database was created with collation version 0.1")
        && f.message().contains("library now is " + actual) && f.message().contains("REINDEX"), f.message());
  }

  @Test
  void fromFourteenTheTargetsPublicSchemaNoLongerTakesEveryonesTables() {
    assumeTrue(Boolean.getBoolean("phaseshift.versionMatrix"), "runs with -Pversion-matrix (README, Development)");
    try (PgPair older = PgPair.of(14, 16)) {
      Assessment a = new PgInspector(PgTools.detect()).assess(older.plan("hazards-public"));
      Finding f = finding(a, "public_schema_create").orElseThrow(() -> new AssertionError(a.findings().toString()));
      assertEquals(Severity.WARNING, f.severity());
      assertTrue(f.message().contains("GRANT CREATE ON SCHEMA public"), f.message());
    }
  }
}
