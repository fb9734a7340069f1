package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verification window on real servers with pg_stat_statements loaded on both: the workflow
 * migrates while an application reads and writes, the application moves to the new primary, and a
 * planted regression — an index dropped on the new primary, or a client still writing to the old
 * database — makes the window roll back by itself with no acknowledged write lost; in notify-only
 * mode the same regression leaves writes on the new primary.
 */
class VerificationWindowEndToEndTest {
  static final int SEED_ROWS = 100_000;
  static PgPair pairs;

  TestWorkflowEnvironment env;

  @BeforeAll
  static void servers() {
    pairs = PgPair.with(Map.of("shared_preload_libraries", "pg_stat_statements"));
  }

  @AfterAll
  static void stopServers() {
    if (pairs != null) pairs.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s,
          "CREATE TABLE orders (id bigserial PRIMARY KEY, ref text NOT NULL, amount int NOT NULL)",
          "CREATE INDEX orders_ref ON orders (ref)",
          "INSERT INTO orders (ref, amount) SELECT 'seed-' || g, g FROM generate_series(1, " + SEED_ROWS + ") g",
          "ANALYZE orders");
      for (Connection c : List.of(s, t)) {
        exec(c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "SELECT pg_stat_statements_reset()");
      }
    }
    env = MigrationRuns.environment();
  }

  @AfterEach
  void stopTemporal() {
    env.close();
  }

  private static MigrationPlan plan(String name, String onFailure, double maxLatencyRatio, String staleClients) {
    // A short window sampled every 3 s; the first failed sample fails it.
    return pairs.plan(name).withVerification(new VerificationPolicy("2m", "3s", onFailure, 0, 1, null, null, null,
        maxLatencyRatio, 5, null, staleClients)).withDefaults();
  }

  /** Runs until the workflow waits for the application to move, moves it (after {@code plant}), and signals it. */
  private static MigrationWorkflow switchedWith(TestWorkflowEnvironment env, MigrationPlan plan, ShopApi app,
      PlantedRegression plant) throws Exception {
    MigrationWorkflow workflow = MigrationRuns.start(env, plan);
    MigrationStatus waiting = MigrationRuns.awaitStatus(workflow, Duration.ofMinutes(3),
        s -> s.waitingFor().startsWith("connectionSwitched") || s.phase() == Phase.FAILED);
    assertEquals("target", waiting.primary(), waiting.toString());
    plant.run();
    app.moveTo(true);
    workflow.connectionSwitched(new OperatorRequest("ops", "deployed the new DATABASE_URL"));
    return workflow;
  }

  @FunctionalInterface
  interface PlantedRegression {
    void run() throws Exception;
  }

  /** After an automatic rollback the application is pointed back; returns the run's report. */
  private static MigrationReport rolledBack(MigrationWorkflow workflow, ShopApi app) throws Exception {
    MigrationRuns.awaitStatus(workflow, Duration.ofMinutes(2),
        s -> s.waitingFor().startsWith("connectionSwitched: point the application back") || s.phase() == Phase.FAILED);
    app.moveTo(false);
    workflow.connectionSwitched(new OperatorRequest("ops", "DATABASE_URL back to the old server"));
    return WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);
  }

  /** Every write the application saw committed, on either side, is on the old database, once. */
  private static void nothingLost(ShopApi app, int otherWrites) throws Exception {
    try (Connection s = pairs.source()) {
      assertEquals(app.acknowledged.size(), MovingWriter.present(s, List.copyOf(app.acknowledged)),
          "every acknowledged write is on the old database");
      assertEquals(SEED_ROWS + app.acknowledged.size() + otherWrites, count(s, "SELECT count(*) FROM orders"),
          "each write once");
      System.out.println("rows on the old database: " + count(s, "SELECT count(*) FROM orders") + " = " + SEED_ROWS
          + " seeded + " + app.acknowledged.size() + " acknowledged by the application (" + app.onTargetWrites.get()
          + " of them on the new primary) + " + otherWrites + " by the stale client after the rollback");
    }
    assertTrue(app.onTargetWrites.get() > 0, "the application wrote to the new primary during the window");
  }

  @Test
  void anIndexDroppedOnTheNewPrimaryRollsBackByItselfWithNothingLost() throws Exception {
    MigrationPlan plan = plan("dropped-index", "rollback", 5.0, "warn");
    MigrationReport report;
    try (ShopApi app = ShopApi.start(pairs)) {
      MigrationWorkflow workflow = switchedWith(env, plan, app, () -> {
        try (Connection t = pairs.target()) {
          exec(t, "DROP INDEX orders_ref");
        }
      });
      report = rolledBack(workflow, app);
      app.close();
      assertNull(app.failure.get());
      nothingLost(app, 0);
    }
    System.out.println("verification: " + report.verification());
    assertEquals("ROLLED_BACK", report.outcome(), report.error());
    assertEquals("failed: rolling back", report.verification().state());
    assertTrue(report.verification().failures().stream()
        .anyMatch(f -> f.startsWith("latency: SELECT amount FROM orders WHERE ref = $1 takes")),
        report.verification().failures().toString());
    assertTrue(report.verification().baseline().topStatements().stream()
        .anyMatch(st -> st.query().equals("SELECT amount FROM orders WHERE ref = $1")));
  }

  @Test
  void aClientStillWritingToTheOldDatabaseRollsBackByItselfWithNothingLost() throws Exception {
    MigrationPlan plan = plan("stale-writer", "rollback", 1000.0, "fail");
    MigrationReport report;
    try (ShopApi app = ShopApi.start(pairs); StaleWriter stale = new StaleWriter(pairs)) {
      MigrationWorkflow workflow = switchedWith(env, plan, app, stale::start);
      report = rolledBack(workflow, app);
      app.close();
      stale.close();
      assertNull(app.failure.get());
      assertTrue(stale.refused.get() > 0, "the old database refused the stale client's writes while retired");
      // Once writes are back on the old database it takes the stale client's writes too; they count.
      nothingLost(app, stale.acknowledged.get());
    }
    System.out.println("verification: " + report.verification());
    assertEquals("ROLLED_BACK", report.outcome(), report.error());
    assertTrue(report.verification().failures().stream()
        .anyMatch(f -> f.startsWith("stale clients: ") && f.contains("legacy-batch")),
        report.verification().failures().toString());
  }

  @Test
  void notifyOnlyModeKeepsWritesOnTheNewPrimary() throws Exception {
    MigrationPlan plan = pairs.plan("notify-only").withVerification(new VerificationPolicy("12s", "3s", "notify", 0, 1,
        null, null, null, 1000.0, 5, null, "fail")).withDefaults();
    try (ShopApi app = ShopApi.start(pairs); StaleWriter stale = new StaleWriter(pairs)) {
      MigrationWorkflow workflow = switchedWith(env, plan, app, stale::start);
      MigrationStatus status = MigrationRuns.awaitStatus(workflow, Duration.ofMinutes(2),
          s -> s.phase() == Phase.RECOVERY || s.phase() == Phase.FAILED || s.phase() == Phase.ROLLED_BACK);
      assertEquals(Phase.RECOVERY, status.phase(), status.toString());
      assertEquals("target", status.primary());
      assertEquals("failed: notified", status.verification().state());
      assertTrue(status.verification().failedSamples() >= 2, "watched to the window's end: " + status.verification());
      assertTrue(status.decisions().stream().noneMatch(d -> d.action().equals("rollback")), status.decisions().toString());
      app.close();
      try (Connection t = pairs.target()) {
        assertEquals(app.acknowledged.size(), MovingWriter.present(t, List.copyOf(app.acknowledged)),
            "the new primary keeps every write");
      }
    }
  }
}
