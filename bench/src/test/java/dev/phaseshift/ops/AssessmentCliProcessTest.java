package dev.phaseshift.ops;

import static dev.phaseshift.testing.Eventually.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Phase;
import dev.phaseshift.testing.InProcessWorker;
import dev.phaseshift.testing.PhaseshiftProcess;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code phaseshift assess} and {@code phaseshift runbook} as a user runs them: the CLI's main in a
 * child JVM, exit codes as the shell sees them, a real Temporal dev server and a worker, a source
 * that loads pg_stat_statements and takes writes while it is sampled.
 */
class AssessmentCliProcessTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final int INSERTS = 120;

  static EmbeddedPostgresServer source;
  static EmbeddedPostgresServer target;
  static InProcessWorker worker;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    source = EmbeddedPostgresServer.startWith(Map.of("shared_preload_libraries", "pg_stat_statements"));
    target = EmbeddedPostgresServer.start();
    for (String db : List.of("shop", "empty", "gated")) {
      source.createDatabase(db);
      target.createDatabase(db);
    }
    for (String db : List.of("shop", "gated")) {
      try (Connection c = source.connect(db); Statement s = c.createStatement()) {
        s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
        s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 300) g");
      }
    }
    worker = new InProcessWorker(temporal.client());
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) worker.close();
    if (source != null) source.close();
    if (target != null) target.close();
  }

  static PhaseshiftProcess.Run phaseshift(String... args) throws Exception {
    return PhaseshiftProcess.run(dir, temporal.address(), 120, args);
  }

  static Path plan(String name, String db, String extra) throws Exception {
    Path file = dir.resolve(name + ".json");
    Files.writeString(file, "{\"name\":\"" + name + "\",\"source\":{\"url\":\"" + source.jdbcUrl(db)
        + "\",\"user\":\"postgres\"},\"target\":{\"url\":\"" + target.jdbcUrl(db) + "\",\"user\":\"postgres\"},"
        + "\"cutover\":{\"maxFreeze\":\"15s\"},\"retention\":\"2h\",\"requestedBy\":\"alice\","
        + "\"approval\":{\"approvers\":[\"bob\",\"carol\"]}" + extra + "}");
    return file;
  }

  @Test
  void assessPrintsTheWorkloadItSampledAsJsonAndMarkdownAndChangesNothing() throws Exception {
    Path plan = plan("shop", "shop", ",\"maintenanceWindows\":[{\"cron\":\"0 2 * * SAT\",\"duration\":\"2h\"}]");
    CompletableFuture<PhaseshiftProcess.Run> json = CompletableFuture.supplyAsync(() -> {
      try {
        return phaseshift("assess", plan.toString(), "--sample", "8s", "--json");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    // Into the sample: the child JVM starts and the worker reads both servers first.
    await("the sample to start", () -> temporal.client().listExecutions(
        "WorkflowType = 'Assessment' AND ExecutionStatus = 'Running'").count(), n -> n > 0);
    Thread.sleep(3_000);
    try (Connection c = source.connect("shop"); PreparedStatement insert = c.prepareStatement("INSERT INTO items VALUES (?, 'new')")) {
      for (int i = 0; i < INSERTS; i++) {
        insert.setInt(1, 10_000 + i);
        insert.executeUpdate();
      }
      c.createStatement().execute("SELECT pg_stat_force_next_flush()");
      c.createStatement().execute("SELECT 1");
    }
    PhaseshiftProcess.Run run = json.get(120, TimeUnit.SECONDS);

    assertEquals(0, run.code(), run.all());
    JsonNode report = new ObjectMapper().readTree(run.out());
    assertEquals("shop", report.path("name").asText(), run.out());
    JsonNode workload = report.path("workload");
    assertTrue(workload.path("sampleMillis").asLong() >= 8_000, run.out());
    JsonNode items = workload.path("tables").get(0);
    assertEquals("public.items", items.path("table").asText(), run.out());
    assertEquals(INSERTS, items.path("inserts").asInt(), run.out());
    assertTrue(workload.path("changeLogBytes").asLong() > 0, run.out());
    // The inserts ran as the migration's own role, whose statements the report leaves out; the list is there.
    assertTrue(workload.path("statements").isArray(), "pg_stat_statements is loaded: " + run.out());
    assertTrue(workload.path("nextFittingWindow").asText().matches("\\d{4}-\\d\\d-\\d\\dT02:00:00Z to .*"), run.out());
    assertEquals(1, report.path("assessment").path("tables").size(), run.out());
    try (Connection c = target.connect("shop"); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the assessment created nothing on the target");
    }

    PhaseshiftProcess.Run markdown = phaseshift("assess", plan.toString(), "--sample", "0s");
    assertEquals(0, markdown.code(), markdown.all());
    for (String section : List.of("# Assessment of shop\n", "## Size", "## Workload", "Not sampled (assessment.sample: 0s)",
        "## Downtime forecast", "| Write freeze | ", "(bound: cutover.maxFreeze = 15000 ms; within)",
        "no rehearsal of shop found", "## Clients", "## Maintenance windows", "- every `0 2 * * SAT` for 2h (UTC)",
        "## Blockers and warnings", "**WARNING** rehearsal: the forecast is an estimate")) {
      assertTrue(markdown.out().contains(section), "lacks '" + section + "':\n" + markdown.out());
    }
  }

  @Test
  void assessExitsOneOnBlockersAndTwoOnBadInput() throws Exception {
    PhaseshiftProcess.Run blocked = phaseshift("assess", plan("empty", "empty", "").toString(), "--sample", "0s");
    assertEquals(1, blocked.code(), blocked.all());
    assertTrue(blocked.out().contains("**BLOCKER** tables:"), blocked.all());

    PhaseshiftProcess.Run bad = phaseshift("assess", plan("shop", "shop", "").toString(), "--sample", "soon");
    assertEquals(2, bad.code(), bad.all());
    assertTrue(bad.err().contains("--sample 'soon' is not a duration"), bad.all());
  }

  @Test
  void runbookPrintsThePlansStepsAtTheSignOffWait() throws Exception {
    temporal.cli("workflow", "start", "--task-queue", TaskQueues.MIGRATIONS, "--type", MigrationWorkflow.TYPE,
        "--workflow-id", "migration-gated", "--input", Files.readString(plan("gated", "gated",
            ",\"assessment\":{\"sample\":\"0s\"}")));
    MigrationWorkflow migration = temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-gated");
    await("the sign-off wait", migration::status,
        s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));

    PhaseshiftProcess.Run runbook = phaseshift("runbook", "gated");
    assertEquals(0, runbook.code(), runbook.all());
    for (String value : List.of("# Runbook: switchover of gated", "1 approval(s) from bob, carol",
        "not the requester alice", "at most 15s", "manual: once writes moved, point the application at the target",
        "for 2h after the switchover", "until the retention window ends, 2h after the switchover")) {
      assertTrue(runbook.out().contains(value), "lacks '" + value + "':\n" + runbook.out());
    }
    PhaseshiftProcess.Run unknown = phaseshift("runbook", "nosuch");
    assertEquals(3, unknown.code(), unknown.all());

    migration.rejectUpdate(new Approval("bob", "test over", null));
  }
}
