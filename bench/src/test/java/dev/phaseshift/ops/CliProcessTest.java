package dev.phaseshift.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.phaseshift.testing.Eventually.await;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.testing.InProcessWorker;
import dev.phaseshift.testing.PhaseshiftProcess;
import dev.phaseshift.testing.PhaseshiftProcess.Run;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code phaseshift} CLI as a user runs it: its main in a child JVM, stdout redirected to a
 * file as a shell would, exit codes as the shell sees them, against a real Temporal dev server.
 * A completed and a failed migration are reported and shown; then the worker stops and the CLI
 * still answers. The methods run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliProcessTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();

  static EmbeddedPostgresServer source;
  static EmbeddedPostgresServer target;
  static InProcessWorker worker;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    source = EmbeddedPostgresServer.start();
    target = EmbeddedPostgresServer.start();
    for (String db : List.of("shop", "waits")) {
      source.createDatabase(db);
      target.createDatabase(db);
      try (Connection c = source.connect(db); Statement s = c.createStatement()) {
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

  /** Runs {@code phaseshift ARGS > out 2> err} in a JVM of its own, as the launcher does. */
  static Run phaseshift(String... args) throws Exception {
    return PhaseshiftProcess.run(dir, temporal.address(), args);
  }

  static String planJson(String name, String sourceUrl, String db, boolean approval) {
    return "{\"name\":\"" + name + "\",\"source\":{\"url\":\"" + sourceUrl + "\",\"user\":\"postgres\"},"
        + "\"target\":{\"url\":\"" + target.jdbcUrl(db) + "\",\"user\":\"postgres\"},"
        + "\"cutover\":{\"maxFreeze\":\"15s\"},\"retention\":\"1s\",\"approvalRequired\":" + approval
        + ",\"approval\":{\"approvers\":[\"bob\",\"carol\"]},\"requestedBy\":\"alice\","
        + "\"assessment\":{\"sample\":\"0s\"}}";
  }

  static void startMigration(String name, String planJson) throws Exception {
    temporal.cli("workflow", "start", "--task-queue", TaskQueues.MIGRATIONS, "--type", MigrationWorkflow.TYPE,
        "--workflow-id", "migration-" + name, "--input", planJson);
  }

  static MigrationStatus status(String name) {
    return temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-" + name).status();
  }

  static WorkflowExecutionStatus executionStatus(String name) {
    return temporal.client().newUntypedWorkflowStub("migration-" + name).describe().getStatus();
  }

  @Test
  @Order(1)
  void theReportOfACompletedMigrationReachesStdout() throws Exception {
    startMigration("done", planJson("done", source.jdbcUrl("shop"), "shop", false));
    await("the connection switch wait", () -> status("done"), s -> s.waitingFor().startsWith("connectionSwitched"));
    temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-done")
        .connectionSwitched(new OperatorRequest("ops", "app restarted"));
    await("completion", () -> executionStatus("done"), s -> s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);

    Run report = phaseshift("report", "done");
    assertEquals(0, report.code(), report.all());
    assertTrue(report.out().startsWith("# Migration report: done\n"), report.all());
    assertTrue(report.out().contains("| Outcome | COMPLETED |"), report.out());
    assertTrue(report.out().contains("| public.items | 300 |"), report.out());
    assertTrue(report.out().contains("## Latest rehearsal"), "the whole report, to its last section:\n" + report.out());

    Run status = phaseshift("status", "done");
    assertEquals(0, status.code(), status.all());
    assertTrue(status.out().contains("Migration done: COMPLETED"), status.all());
  }

  @Test
  @Order(2)
  void aWrongPortFailsPrepareWithinSecondsWithTheRealMessageAndStatusExitsNonZero() throws Exception {
    long started = System.nanoTime();
    startMigration("wrongport", planJson("wrongport", "jdbc:postgresql://127.0.0.1:1/shop", "waits", false));
    await("the run to end", () -> executionStatus("wrongport"),
        s -> s != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    assertTrue(seconds < 45, "an unreachable source ends PREPARE after a few attempts, not after 10 retries: " + seconds + " s");

    WorkflowFailedException failed = org.junit.jupiter.api.Assertions.assertThrows(WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-wrongport"))
            .getResult(dev.phaseshift.model.MigrationReport.class));
    String message = ((ApplicationFailure) failed.getCause()).getOriginalMessage();
    assertTrue(message.contains("cannot connect to source 127.0.0.1:1/shop"), message);
    assertTrue(message.contains("refused"), "the driver's reason is kept: " + message);
    assertFalse(message.contains("exceeds size limit"), message);

    Run status = phaseshift("status", "wrongport");
    assertEquals(1, status.code(), "a FAILED migration is not success for a script:\n" + status.all());
    assertTrue(status.out().contains("Migration wrongport: FAILED"), status.all());
    assertTrue(status.out().contains("error: ") && status.out().contains("127.0.0.1:1"), status.all());

    Run report = phaseshift("report", "wrongport");
    assertEquals(1, report.code(), report.all());
    assertTrue(report.out().contains("| Outcome | FAILED |") && report.out().contains("| Stopped in | PREPARE |"), report.all());
  }

  @Test
  @Order(3)
  void retireClientAcknowledgesAClientSeenOnTheSourceAndRefusesOneNotSeen() throws Exception {
    try (Connection export = DriverManager.getConnection(source.jdbcUrl("waits") + "?ApplicationName=nightly-export",
        "postgres", "")) {
      startMigration("waits", planJson("waits", source.jdbcUrl("waits"), "waits", true));
      await("the approval wait", () -> status("waits"),
          s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
    }
    Run unnamed = phaseshift("retire-client", "waits", "--as", "carol", "-m", "moves away");
    assertEquals(2, unnamed.code(), unnamed.all());
    assertTrue(unnamed.err().contains("name the client: --user, --client-address and/or --application"), unnamed.all());

    Run unknown = phaseshift("retire-client", "waits", "--as", "carol", "--application", "crm-sync", "-m", "moves away");
    assertEquals(1, unknown.code(), unknown.all());
    assertTrue(unknown.err().contains("refused: retire-client of waits by carol (no client seen on the source so far"
        + " matches application crm-sync; seen: "), unknown.all());
    assertTrue(unknown.err().contains("postgres from 127.0.0.1 (nightly-export)"), unknown.all());

    Run retired = phaseshift("retire-client", "waits", "--as", "carol", "--application", "nightly-export",
        "--client-address", "127.0.0.0/8", "-m", "the export moves to the warehouse");
    assertEquals(0, retired.code(), retired.all());
    assertTrue(retired.out().contains("accepted: retire-client of waits by carol (address 127.0.0.0/8, application"
        + " nightly-export is retired"), retired.all());
    Run shown = phaseshift("status", "waits");
    assertTrue(shown.out().contains("retired  postgres@waits from 127.0.0.1 (nightly-export, no TLS)"), shown.all());
  }

  @Test
  @Order(4)
  void withoutAWorkerStatusAndReportStillAnswer() throws Exception {
    await("the approval wait", () -> status("waits"),
        s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
    Run live = phaseshift("status", "waits");
    assertEquals(0, live.code(), live.all());
    assertTrue(live.out().contains("Migration waits: SWITCHOVER"), live.all());
    assertTrue(live.out().contains("lag: ") && live.out().contains(" ago ("), "lag says how old it is:\n" + live.out());

    worker.close();
    worker = null;

    long started = System.nanoTime();
    Run noWorker = phaseshift("status", "waits");
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    assertEquals(0, noWorker.code(), noWorker.all());
    assertTrue(noWorker.out().contains("Migration waits: SWITCHOVER"), noWorker.all());
    assertTrue(noWorker.out().contains("no worker answered"), noWorker.all());
    assertTrue(seconds < 30, "status without a worker answers in " + seconds + " s");

    Run report = phaseshift("report", "done");
    assertEquals(0, report.code(), report.all());
    assertTrue(report.out().contains("| Outcome | COMPLETED |"), report.all());
    Run failedStatus = phaseshift("status", "wrongport");
    assertEquals(1, failedStatus.code(), failedStatus.all());
  }
}
