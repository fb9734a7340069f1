package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.testing.TestWorkflowEnvironment;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The saga against real servers: the migration workflow with the real PostgreSQL engine is stopped
 * in each phase before switchover, and afterwards the source is exactly as it was — schema, data,
 * settings, no slot or publication left — and the disposable target holds nothing of the migration.
 */
class MigrationUndoEndToEndTest {
  static PgPair pairs;
  static PgTools tools;

  TestWorkflowEnvironment env;
  SourceState before;

  record SourceState(List<String> schema, List<String> data, List<String> replication, String settings) {}

  @BeforeAll
  static void servers() {
    pairs = new PgPair();
    tools = PgTools.detect();
  }

  @AfterAll
  static void stopServers() {
    if (pairs != null) pairs.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, tags text[])",
          "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers(id),"
              + " total numeric(10,2), items jsonb, placed_at timestamptz DEFAULT now())",
          "CREATE INDEX orders_customer ON orders (customer_id)",
          "INSERT INTO customers (name, tags) SELECT 'c' || i, ARRAY['t' || (i % 3)] FROM generate_series(1, 2000) i",
          "INSERT INTO orders (customer_id, total, items) SELECT 1 + i % 2000, i * 0.5,"
              + " jsonb_build_object('sku', i) FROM generate_series(1, 20000) i");
    }
    try (Connection t = pairs.target()) {
      exec(t, "CREATE TABLE unrelated (id int PRIMARY KEY)", "INSERT INTO unrelated VALUES (1), (2)");
    }
    before = sourceState();
    env = MigrationRuns.environment();
  }

  @AfterEach
  void stopTemporal() {
    env.close();
  }

  private MigrationPlan plan(String name, boolean approval) {
    MigrationPlan p = pairs.plan(name);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        approval, p.retention(), "alice", approval ? new ApprovalPolicy(List.of("bob"), 1, false, null, null) : null,
        null, null, true, null, null, null);
  }

  private MigrationWorkflow start(MigrationPlan plan) {
    return MigrationRuns.start(env, plan);
  }

  private static MigrationStatus awaitStatus(MigrationWorkflow workflow, Predicate<MigrationStatus> condition)
      throws InterruptedException {
    return MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(60), condition);
  }

  private static MigrationReport stoppedReport(MigrationWorkflow workflow, String type) {
    return MigrationRuns.stoppedReport(workflow, type);
  }

  @Test
  void aBlockedAssessmentChangesNothing() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE audit (at timestamptz, what text)");
    }
    before = sourceState();
    MigrationWorkflow workflow = start(plan("undo-blocked", false));

    MigrationReport report = stoppedReport(workflow, "MigrationFailed");

    assertEquals(Phase.PREPARE, report.failedIn());
    assertTrue(report.error().contains("audit"), report.error());
    assertSourceAsBeforeAndTargetClean();
  }

  @Test
  void anAbortAfterTheChangeCaptureStartedButBeforeTheCopyUndoesIt() throws Exception {
    MigrationPlan plan = plan("undo-before-copy", false);
    MigrationWorkflow workflow = start(plan);
    workflow.pause(new OperatorRequest("erin", "hold the copy"));
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("paused"));
    assertEquals(1, countSlots(plan), "the slot exists while paused");

    workflow.abort(new OperatorRequest("erin", "not today"));
    MigrationReport report = stoppedReport(workflow, "MigrationAborted");

    assertEquals(Phase.MIGRATE, report.failedIn());
    assertSourceAsBeforeAndTargetClean();
  }

  @Test
  void anAbortWhileTheStreamRunsUndoesCopyAndStream() throws Exception {
    MigrationPlan plan = plan("undo-streaming", false);
    MigrationWorkflow workflow = start(plan);
    awaitStatus(workflow, s -> s.copies().size() == 2);
    workflow.pause(new OperatorRequest("erin", "hold the stream"));
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("paused"));
    try (Connection t = pairs.target()) {
      assertEquals(20000, count(t, "SELECT count(*) FROM orders"), "the copy had finished");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_subscription"), "the stream was attached");
    }

    workflow.abort(new OperatorRequest("erin", "found a problem"));
    MigrationReport report = stoppedReport(workflow, "MigrationAborted");

    assertEquals(Phase.MIGRATE, report.failedIn());
    assertSourceAsBeforeAndTargetClean();
  }

  @Test
  void aRejectionAtSignOffUndoesEverything() throws Exception {
    MigrationPlan plan = plan("undo-rejected", true);
    MigrationWorkflow workflow = start(plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));
    try (Connection s = pairs.source()) {
      exec(s, "INSERT INTO orders (customer_id, total, items) VALUES (1, 9.99, '{}')");
    }
    // The application's write during the migration stays; everything of the migration goes.
    before = new SourceState(before.schema(), sourceState().data(), before.replication(), before.settings());

    workflow.rejectUpdate(new Approval("bob", "the load test failed", null));
    MigrationReport report = stoppedReport(workflow, "MigrationAborted");

    assertEquals(Phase.SWITCHOVER, report.failedIn());
    assertTrue(report.error().contains("rejected by bob: the load test failed"), report.error());
    assertTrue(report.validation().passed(), "it got as far as a passed validation");
    assertSourceAsBeforeAndTargetClean();
  }

  private long countSlots(MigrationPlan plan) throws Exception {
    try (Connection s = pairs.source()) {
      return count(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + PgNames.slot(plan) + "'");
    }
  }

  private SourceState sourceState() throws Exception {
    try (Connection s = pairs.source()) {
      List<String> data = new ArrayList<>();
      for (String table : List.of("customers", "orders")) {
        data.add(table + " " + text(s, "SELECT count(*) || '/' || sum(hashtextextended(t::text, 0)::numeric) FROM " + table + " t"));
      }
      List<String> replication = new ArrayList<>();
      replication.add("slots " + text(s, "SELECT string_agg(slot_name, ',') FROM pg_replication_slots"));
      replication.add("publications " + text(s, "SELECT string_agg(pubname, ',') FROM pg_publication"));
      replication.add("subscriptions " + text(s, "SELECT string_agg(subname, ',') FROM pg_subscription"));
      String settings = text(s, "SELECT string_agg(array_to_string(setconfig, ','), ';') FROM pg_db_role_setting r"
          + " JOIN pg_database d ON d.oid = r.setdatabase WHERE d.datname = current_database()");
      return new SourceState(PgTestSupport.schema(tools, PgEndpoint.source(pairs.plan("state"))), data, replication,
          settings);
    }
  }

  private void assertSourceAsBeforeAndTargetClean() throws Exception {
    SourceState after = sourceState();
    assertEquals(before.schema(), after.schema(), "source schema unchanged");
    assertEquals(before.data(), after.data(), "source data unchanged");
    assertEquals(before.replication(), after.replication(), "no slot, publication or subscription left");
    assertEquals(before.settings(), after.settings(), "no database setting left (no freeze)");
    try (Connection t = pairs.target()) {
      assertEquals("unrelated", text(t, "SELECT string_agg(relname, ',') FROM pg_class c JOIN pg_namespace n"
          + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"),
          "only the target's own table is left");
      assertEquals(0, count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_subscription"));
      assertEquals(2, count(t, "SELECT count(*) FROM unrelated"));
    }
  }
}
