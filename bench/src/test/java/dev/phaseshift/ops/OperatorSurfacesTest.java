package dev.phaseshift.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.phaseshift.testing.Eventually.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.cli.PhaseshiftCli;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.testing.HeadlessChromium;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.worker.WorkerFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator surfaces against a real Temporal dev server, a worker in this JVM and two embedded
 * PostgreSQL servers: a migration started from a JSON input with {@code temporal workflow start},
 * found with {@code phaseshift list}, seen in the Web UI, rehearsed by a schedule, signed off with
 * {@code temporal workflow signal} and reported. The methods run in order on one migration.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorSurfacesTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final ObjectMapper JSON = new ObjectMapper();

  static EmbeddedPostgresServer source;
  static EmbeddedPostgresServer target;
  static WorkerFactory workers;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    source = EmbeddedPostgresServer.start();
    target = EmbeddedPostgresServer.start();
    source.createDatabase("shop");
    target.createDatabase("shop");
    target.createDatabase("scratch");
    try (Connection c = source.connect("shop"); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
      s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g");
    }
    workers = WorkerFactory.newInstance(temporal.client());
    PhaseshiftWorkers.register(workers, TaskQueues.MIGRATIONS);
    workers.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (workers != null) {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (source != null) source.close();
    if (target != null) target.close();
  }

  static String planJson(String name, String targetDb, String mode) {
    return "{\"name\":\"" + name + "\",\"source\":{\"url\":\"" + source.jdbcUrl("shop") + "\",\"user\":\"postgres\"},"
        + "\"target\":{\"url\":\"" + target.jdbcUrl(targetDb) + "\",\"user\":\"postgres\"},"
        + "\"cutover\":{\"maxFreeze\":\"15s\"},\"retention\":\"2s\",\"requestedBy\":\"alice\","
        + "\"assessment\":{\"sample\":\"0s\"}"
        + (mode == null ? "" : ",\"mode\":\"" + mode + "\"") + "}";
  }

  record Run(int code, String out, String err) {
    String all() {
      return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** Runs the phaseshift CLI in this JVM against the dev server. */
  static Run phaseshift(String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    if (!argv.contains("--address")) argv.addAll(List.of("--address", temporal.address()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PhaseshiftCli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(argv.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  static MigrationStatus status(String name) {
    return temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-" + name).status();
  }

  @Test
  @Order(1)
  void startsFromJsonWithTheTemporalCliAndIsFoundBySearchAttributes() throws Exception {
    temporal.cli("workflow", "start", "--task-queue", "phaseshift", "--type", "Migration",
        "--workflow-id", "migration-x", "--input", planJson("x", "shop", null));

    await("approval wait", () -> status("x"),
        s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
    String query = temporal.cli("workflow", "query", "--workflow-id", "migration-x", "--type", "status");
    assertTrue(query.contains("SWITCHOVER") && query.contains("approval: 0 of 1 given"), query);

    String sourceHost = "127.0.0.1:" + source.port();
    JsonNode listed = await("visibility to show the phase",
        () -> json(phaseshift("list", "--phase", "switchover", "--source", sourceHost, "--output", "json")),
        l -> l.size() == 1);
    assertEquals("migration-x", listed.get(0).get("workflowId").asText());
    assertEquals("127.0.0.1:" + target.port(), listed.get(0).get("target").asText());
    assertEquals("alice", listed.get(0).get("requester").asText());
    assertEquals("running", listed.get(0).get("status").asText());
    assertEquals(0, json(phaseshift("list", "--phase", "COMPLETED", "--source", sourceHost, "-o", "json")).size());

    Run text = phaseshift("status", "x");
    assertEquals(0, text.code(), text.all());
    assertTrue(text.out().contains("Migration x: SWITCHOVER"), text.out());
    assertTrue(text.out().contains("public.items") && text.out().contains("[" + "#".repeat(24) + "] 100%"), text.out());
    assertTrue(text.out().contains("waiting for: approval"), text.out());

    Run selfApproval = phaseshift("approve", "x", "--as", "alice");
    assertEquals(1, selfApproval.code(), selfApproval.all());
    assertEquals("refused: approve of x by alice (alice requested this migration and may not approve it"
        + " (four-eyes rule); ask another approver)\n", selfApproval.err(), selfApproval.all());
    // The refused Update is in the audit trail, as a refused signal is.
    assertTrue(status("x").decisions().stream().anyMatch(d -> d.action().equals("approve") && d.by().equals("alice")
        && !d.accepted() && d.reason().contains("four-eyes")), status("x").decisions().toString());

    Run notPaused = phaseshift("resume", "x", "--as", "carol");
    assertEquals(1, notPaused.code(), notPaused.all());
    assertTrue(notPaused.out().contains("refused: resume of x by carol (not paused)"), notPaused.all());
  }

  @Test
  @Order(2)
  void theWebUiShowsTheRunningMigrationsCurrentDetails() throws Exception {
    Assumptions.assumeTrue(HeadlessChromium.available(),
        "no chromium or chromedriver on PATH; install them with: " + HeadlessChromium.INSTALL);
    try (HeadlessChromium browser = new HeadlessChromium(Files.createTempDirectory(dir, "chromium-"))) {
      browser.open(temporal.uiUrl() + "/namespaces/default/workflows/migration-x");
      // The workflow's summary and details sit in the collapsed "User Metadata" section.
      browser.awaitText("User Metadata", Duration.ofSeconds(60));
      assertTrue(browser.click("User Metadata"), "the page has a User Metadata section");
      String page = browser.awaitText("approval: 0 of 1 given", Duration.ofSeconds(30));
      assertTrue(page.contains("migration-x"), "the page names the workflow:\n" + page);
      assertTrue(page.contains("Current Details"), page);
      String html = page.contains("approval: 0 of 1 given") ? "" : browser.html();
      int at = html.indexOf("Current Details");
      assertTrue(page.contains("approval: 0 of 1 given"), "the page shows the current details:\n" + page
          + "\nHTML near Current Details:\n" + (at < 0 ? html : html.substring(Math.max(0, at - 1500), Math.min(html.length(), at + 3000))));
    }
  }

  @Test
  @Order(3)
  void aScheduleFiresARehearsalThatMeasuresAndTearsDown() throws Exception {
    Path plan = dir.resolve("rehearsal.yaml");
    Files.writeString(plan, planJson("x", "scratch", "rehearsal"));
    Path realPlan = dir.resolve("x.yaml");
    Files.writeString(realPlan, planJson("x", "shop", null));

    Run wrongPlan = phaseshift("schedule", "create", realPlan.toString(), "--interval", "24h");
    assertEquals(2, wrongPlan.code(), wrongPlan.all());
    assertTrue(wrongPlan.err().contains("mode: rehearsal"), wrongPlan.all());
    Run bothSpecs = phaseshift("schedule", "create", plan.toString(), "--interval", "24h", "--cron", "0 3 * * *");
    assertEquals(2, bothSpecs.code(), bothSpecs.all());

    Run created = phaseshift("schedule", "create", plan.toString(), "--interval", "24h", "--overlap", "buffer-one");
    assertEquals(0, created.code(), created.all());
    assertTrue(created.out().contains("Created schedule rehearsal-x"), created.all());
    Run again = phaseshift("schedule", "create", plan.toString(), "--interval", "24h");
    assertEquals(1, again.code(), again.all());

    assertEquals(0, phaseshift("schedule", "pause", "rehearsal-x", "-m", "quiet week").code());
    JsonNode described = json(phaseshift("schedule", "describe", "rehearsal-x", "-o", "json"));
    assertTrue(described.at("/schedule/paused").asBoolean(), described.toString());
    assertEquals("quiet week", described.at("/schedule/note").asText());
    assertEquals("buffer-one", described.at("/schedule/overlap").asText());
    assertEquals("PT24H", described.at("/intervals/0").asText());
    assertEquals(0, phaseshift("schedule", "unpause", "rehearsal-x").code());
    assertTrue(phaseshift("schedule", "list").out().contains("rehearsal-x"));

    Run triggered = phaseshift("schedule", "trigger", "rehearsal-x");
    assertEquals(0, triggered.code(), triggered.all());
    WorkflowExecutionMetadata run = await("the rehearsal to complete",
        () -> temporal.client().listExecutions("WorkflowId STARTS_WITH 'rehearsal-x'").findFirst().orElseThrow(),
        m -> m.getCloseTime() != null);
    MigrationReport report = temporal.client().newUntypedWorkflowStub(run.getExecution().getWorkflowId())
        .getResult(MigrationReport.class);
    assertEquals("REHEARSED", report.outcome(), String.valueOf(report.error()));
    assertTrue(report.validation().passed(), report.validation().toString());
    assertEquals(200, report.copies().get(0).rows());
    assertTrue(report.rehearsal().tornDown());
    assertTrue(report.rehearsal().copyMillis() > 0 && report.rehearsal().freezeForecastMillis() >= 0, report.rehearsal().toString());
    assertFalse(tableExists(target, "scratch", "items"), "the rehearsal dropped its tables on the scratch target");
    assertEquals(0, count(source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'phaseshift_r_x'"));
    assertEquals(1, count(source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'phaseshift_x'"),
        "the real migration's slot is untouched");

    Run rehearsalReport = phaseshift("report", "x", "--rehearsal");
    assertEquals(0, rehearsalReport.code(), rehearsalReport.all());
    assertTrue(rehearsalReport.out().contains("| Outcome | REHEARSED |"), rehearsalReport.out());

    assertEquals(0, phaseshift("schedule", "delete", "rehearsal-x").code());
    Run gone = phaseshift("schedule", "describe", "rehearsal-x");
    assertEquals(3, gone.code(), gone.all());
  }

  @Test
  @Order(4)
  void signedOffWithTheTemporalCliItCompletesAndReportsWithTheLatestRehearsal() throws Exception {
    Run running = phaseshift("report", "x");
    assertEquals(1, running.code(), running.all());
    assertTrue(running.err().contains("still running"), running.all());
    Path realPlan = dir.resolve("x.yaml");
    Run drift = phaseshift("schedule", "create", realPlan.toString(), "--kind", "drift-check", "--interval", "24h");
    assertEquals(0, drift.code(), drift.all());

    temporal.cli("workflow", "signal", "--workflow-id", "migration-x", "--name", "approve",
        "--input", "{\"approver\":\"bob\",\"comment\":\"ok\"}");
    await("the connection switch wait", () -> status("x"), s -> s.waitingFor().startsWith("connectionSwitched"));
    Run switched = phaseshift("connection-switched", "x", "--as", "ops", "-m", "app restarted");
    assertEquals(0, switched.code(), switched.all());
    assertTrue(switched.out().contains("accepted: connection-switched of x by ops"), switched.all());

    Run watched = phaseshift("status", "x", "--watch", "--interval", "1");
    assertEquals(0, watched.code(), watched.all());
    assertTrue(watched.out().contains("Migration x: COMPLETED"), watched.out());

    Run report = phaseshift("report", "x");
    assertEquals(0, report.code(), report.all());
    assertTrue(report.out().startsWith("# Migration report: x"), report.out());
    assertTrue(report.out().contains("| Outcome | COMPLETED |"), report.out());
    assertTrue(report.out().contains("| public.items | 200 |"), report.out());
    assertTrue(report.out().contains("- bob at "), report.out());
    assertTrue(report.out().contains("## Latest rehearsal") && report.out().contains("| Write-freeze forecast | "),
        report.out());
    JsonNode reportJson = json(phaseshift("report", "x", "--output", "json"));
    assertEquals("COMPLETED", reportJson.at("/report/outcome").asText());
    assertTrue(reportJson.at("/latestRehearsal/tornDown").asBoolean(), reportJson.toString());

    JsonNode completed = await("visibility to show COMPLETED",
        () -> json(phaseshift("list", "--phase", "COMPLETED", "--requester", "alice", "-o", "json")),
        l -> l.size() >= 1);
    assertTrue(completed.toString().contains("migration-x"), completed.toString());

    // Its streams are gone: the migration paused its drift check, saying why, and a new one is refused.
    JsonNode paused = json(phaseshift("schedule", "describe", "drift-check-x", "-o", "json"));
    assertTrue(paused.at("/schedule/paused").asBoolean(), paused.toString());
    assertTrue(paused.at("/schedule/note").asText().contains("ended (COMPLETED)"), paused.toString());
    assertEquals(0, phaseshift("schedule", "delete", "drift-check-x").code());
    Run late = phaseshift("schedule", "create", realPlan.toString(), "--kind", "drift-check", "--interval", "24h");
    assertEquals(1, late.code(), late.all());
    assertTrue(late.err().contains("migration x has ended (COMPLETED)"), late.all());
  }

  @Test
  @Order(5)
  void badInputAndUnreachableServersGetOneClearMessageAndTheirExitCode() {
    Run unknownPhase = phaseshift("list", "--phase", "SOMEWHERE");
    assertEquals(2, unknownPhase.code(), unknownPhase.all());
    assertTrue(unknownPhase.err().startsWith("error: Invalid value for option '--phase'"), unknownPhase.all());

    Run badDuration = phaseshift("extend-retention", "x", "soon");
    assertEquals(2, badDuration.code(), badDuration.all());
    assertEquals("error: 'soon' is not a duration; write e.g. 24h, 90m or 7d\n", badDuration.err());

    Run badName = phaseshift("status", "Not A Name");
    assertEquals(2, badName.code(), badName.all());

    Run missing = phaseshift("status", "nosuch");
    assertEquals(3, missing.code(), missing.all());
    assertTrue(missing.err().contains("migration-nosuch"), missing.all());

    Run unreachable = phaseshift("list", "--address", "127.0.0.1:1");
    assertEquals(3, unreachable.code(), unreachable.all());
    assertTrue(unreachable.err().startsWith("error: cannot reach Temporal at 127.0.0.1:1"), unreachable.all());

    Run help = phaseshift("schedule", "create", "--help");
    assertEquals(0, help.code(), help.all());
    assertTrue(help.out().contains("--overlap") && help.out().contains("Exit codes:"), help.out());
  }

  private static JsonNode json(Run run) {
    assertEquals(0, run.code(), run.all());
    try {
      return JSON.readTree(run.out());
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + run.out(), e);
    }
  }

  private static boolean tableExists(EmbeddedPostgresServer server, String db, String table) throws Exception {
    try (Connection c = server.connect(db); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('public." + table + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static long count(EmbeddedPostgresServer server, String sql) throws Exception {
    try (Connection c = server.connect("shop"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
