package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Migrating again after a rollback, to the same target database: the rollback leaves the target
 * read-only with a stale copy and its records; the next migration's PREPARE accepts that copy and
 * replaces it, unless the target was made writable since.
 */
class PgMigrateAgainTest extends PgPairTest {
  private static final List<String> TABLES = List.of("sales.orders", "sales.lines");

  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s, "CREATE SCHEMA sales",
          "CREATE TYPE sales.mood AS ENUM ('happy', 'sad')",
          "CREATE DOMAIN sales.positive AS int CHECK (VALUE > 0)",
          "CREATE SEQUENCE sales.ticket_no START 500",
          "CREATE TABLE sales.orders (id bigserial PRIMARY KEY, ref text NOT NULL UNIQUE, m sales.mood)",
          "CREATE TABLE sales.lines (order_id bigint REFERENCES sales.orders DEFERRABLE INITIALLY DEFERRED,"
              + " qty sales.positive, PRIMARY KEY (order_id, qty))",
          "INSERT INTO sales.orders (ref, m) SELECT 'seed-' || g, 'happy' FROM generate_series(1, 100) g",
          "INSERT INTO sales.lines SELECT g, 1 FROM generate_series(1, 100) g");
    }
  }

  /** Copy, switchover, writes on the target, rollback and decommission, as a migration rolled back. */
  private static void migrateAndRollBack(MigrationPlan plan) throws Exception {
    migrate(plan);
    PgCutover cutover = new PgCutover(tools);
    try (Connection t = pairs.target()) {
      assertNull(RolledBackCopy.find(t), "a target that took over is the primary, not a copy");
      exec(t, "INSERT INTO sales.orders (ref, m) VALUES ('on-target', 'sad')");
    }
    // Another plan aimed at the new primary is told so, and told nothing about dropping tables.
    Assessment atPrimary = new PgInspector(tools).assess(plan);
    assertEquals(List.of("target_is_primary"), atPrimary.blockers().stream().map(Finding::code).toList());
    assertTrue(finding(atPrimary, "target_is_primary").message().contains("primary of migration " + plan.name()),
        atPrimary.blockers().toString());
    cutover.rollback(plan);
    cutover.decommission(plan);
  }

  private static void migrate(MigrationPlan plan) throws Exception {
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, TABLES);
    PgCutover cutover = new PgCutover(tools);
    cutover.switchover(plan);
    cutover.startReverseReplication(plan);
  }

  private static Finding finding(Assessment a, String code) {
    return a.findings().stream().filter(f -> f.code().equals(code)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + code + " in " + a.findings()));
  }

  @Test
  void aSecondMigrationReplacesTheCopyARolledBackOneLeftAndSwitchesOverAgain() throws Exception {
    MigrationPlan plan = pairs.plan("again");
    migrateAndRollBack(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(1, count(s, "SELECT count(*) FROM sales.orders WHERE ref = 'on-target'"), "handed back");
      assertEquals("on", text(t, "SHOW default_transaction_read_only"), "the rollback retires the target");
      assertEquals(1, count(t, "SELECT count(*) FROM phaseshift.rollback WHERE completed_at IS NOT NULL"),
          "the retired target keeps the rollback record");
      exec(s, "INSERT INTO sales.orders (ref, m) VALUES ('after-rollback', 'happy')",
          "INSERT INTO sales.lines VALUES (102, 2)");
    }

    Assessment second = new PgInspector(tools).assess(plan);
    assertTrue(second.blockers().isEmpty(), "the stale copy does not block: " + second.blockers());
    Finding replaced = finding(second, "rolled_back_copy");
    assertEquals(Severity.INFO, replaced.severity());
    assertTrue(replaced.message().contains("migration again") && replaced.message().contains("2 of the selected"),
        replaced.message());

    migrate(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals("off", text(t, "SHOW default_transaction_read_only"), "the new primary takes writes");
      assertEquals(count(s, "SELECT count(*) FROM sales.orders"), count(t, "SELECT count(*) FROM sales.orders"));
      assertEquals(102, count(t, "SELECT count(*) FROM sales.orders"), "the copy is new: every order once");
      assertEquals(101, count(t, "SELECT count(*) FROM sales.lines"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_type WHERE typname = 'mood'"));
      assertEquals("on", text(s, "SHOW default_transaction_read_only"), "the source is retired again");
      exec(t, "INSERT INTO sales.orders (ref, m) VALUES ('second-primary', 'sad')");
    }
  }

  @Test
  void aCopyOnATargetMadeWritableSinceIsLeftToAPerson() throws Exception {
    MigrationPlan plan = pairs.plan("again-open");
    migrateAndRollBack(plan);
    try (Connection t = pairs.target()) {
      exec(t, "SET default_transaction_read_only = off", "ALTER DATABASE app RESET default_transaction_read_only");
    }
    try (Connection t = pairs.target()) {
      exec(t, "INSERT INTO sales.orders (ref, m) VALUES ('only-on-target', 'sad')");
    }

    Assessment second = new PgInspector(tools).assess(plan);
    assertEquals(2, second.blockers().size(), second.blockers().toString());
    String message = finding(second, "table_exists_on_target").message();
    assertTrue(message.contains("rolled back") && message.contains("made writable since")
        && message.contains("ALTER DATABASE \"app\" SET default_transaction_read_only = on"), message);

    new PgSchemaCopier(tools).createTables(plan);
    try (Connection t = pairs.target()) {
      assertEquals(1, count(t, "SELECT count(*) FROM sales.orders WHERE ref = 'only-on-target'"), "nothing dropped");
    }
  }
}
