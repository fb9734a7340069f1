package dev.phaseshift.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.plan.InlineSecrets;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.InputEraserWorkflow;
import dev.phaseshift.workflow.InputErasure;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowFailedException;
import io.temporal.worker.WorkerFactory;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A plan started through {@code temporal workflow start} (as the Web UI's start form does) that
 * cannot be read fails its run within seconds with a message that names the field. A password
 * written inline reaches neither the worker's log nor any history: the run that held it is deleted
 * and a stand-in run, whose input names the fields only, shows the failure under the same id.
 */
class BadPlanInputTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET = "hunter2-do-not-print";

  static WorkerFactory workers;
  static final StringBuffer workerLog = new StringBuffer();
  static final AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      workerLog.append(event.getFormattedMessage()).append('\n');
      if (event.getThrowableProxy() != null) workerLog.append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
  };

  @BeforeAll
  static void start() {
    capture.start();
    root().addAppender(capture);
    workers = WorkerFactory.newInstance(temporal.client());
    PhaseshiftWorkers.register(workers, TaskQueues.MIGRATIONS);
    workers.start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (workers != null) {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
    root().detachAppender(capture);
  }

  static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  static String endpoint(String db, String password) {
    return "{\"url\":\"jdbc:postgresql://127.0.0.1:1/" + db + "\",\"user\":\"migrator\""
        + (password == null ? "" : ",\"password\":" + password) + "}";
  }

  /** Starts the plan with the Temporal CLI and returns the run's failure message, failing if it takes over 15 s. */
  static String startAndAwaitFailure(String id, String planJson) throws Exception {
    long started = System.nanoTime();
    temporal.cli("workflow", "start", "--task-queue", TaskQueues.MIGRATIONS, "--type", "Migration",
        "--workflow-id", id, "--input", planJson);
    try {
      temporal.client().newUntypedWorkflowStub(id).getResult(15, TimeUnit.SECONDS, String.class);
      throw new AssertionError(id + " completed; it should have failed");
    } catch (WorkflowFailedException failed) {
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertTrue(seconds < 15, id + " took " + seconds + " s to fail");
      return failed.getCause().getMessage();
    }
  }

  /**
   * Starts the plan with the Temporal CLI, then waits (at most 20 s) until the workflow id's run is
   * the failed stand-in, and returns the message it failed with, as {@code temporal workflow show}
   * prints it.
   */
  static String startAndAwaitStandIn(String id, String planJson) throws Exception {
    long started = System.nanoTime();
    temporal.cli("workflow", "start", "--task-queue", TaskQueues.MIGRATIONS, "--type", "Migration",
        "--workflow-id", id, "--input", planJson);
    String last = "";
    while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20)) {
      JsonNode history = JSON.readTree(temporal.cli("workflow", "show", "--workflow-id", id, "-o", "json"));
      last = history.toString();
      for (JsonNode event : history.path("events")) {
        String message = event.at("/workflowExecutionFailedEventAttributes/failure/message").asText("");
        if (message.contains(InlineSecrets.DELETED)) {
          String describe = temporal.cli("workflow", "describe", "--workflow-id", id, "-o", "json");
          assertEquals("WORKFLOW_EXECUTION_STATUS_FAILED",
              JSON.readTree(describe).at("/workflowExecutionInfo/status").asText(), describe);
          System.out.printf("%s: the failed stand-in shows %d ms after the start%n", id,
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
          return message;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError(id + " shows no failed stand-in run within 20 s; its current run: " + last);
  }

  /** Waits for the eraser of this workflow id to finish and returns what it did. */
  static InputErasure erasure(String id) throws Exception {
    return temporal.client().newUntypedWorkflowStub(InputEraserWorkflow.idFor(id))
        .getResult(60, TimeUnit.SECONDS, InputErasure.class);
  }

  /** Every run of every workflow on the server, as {@code temporal workflow show} prints it, holds no trace of the secret. */
  static void noHistoryHolds(String secret) throws Exception {
    String listed = temporal.cli("workflow", "list", "-o", "json");
    assertFalse(holds(JSON.readTree(listed), secret), "workflow list shows the secret: " + listed);
    int runs = 0;
    for (JsonNode run : JSON.readTree(listed)) {
      String id = run.at("/execution/workflowId").asText();
      String runId = run.at("/execution/runId").asText();
      String describe = temporal.cli("workflow", "describe", "--workflow-id", id, "--run-id", runId, "-o", "json");
      assertFalse(holds(JSON.readTree(describe), secret), "describe shows the secret (memo, search attributes): " + id);
      String history = temporal.cli("workflow", "show", "--workflow-id", id, "--run-id", runId, "-o", "json");
      assertFalse(holds(JSON.readTree(history), secret), "the secret is in the history of " + id + "/" + runId);
      runs++;
    }
    assertTrue(runs >= 2, "expected the stand-in and the eraser among the runs: " + listed);
  }

  /** The CLI prints payloads base64-encoded, so each text is also read decoded. */
  static boolean holds(JsonNode node, String secret) {
    if (node.isTextual()) {
      String text = node.asText();
      if (text.contains(secret)) return true;
      try {
        return new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8).contains(secret);
      } catch (IllegalArgumentException notBase64) {
        return false;
      }
    }
    for (JsonNode child : node) {
      if (holds(child, secret)) return true;
    }
    return false;
  }

  @Test
  void theCheckReadsPayloadsAsTheCliPrintsThem() {
    String encoded = Base64.getEncoder().encodeToString(("{\"password\":\"" + SECRET + "\"}").getBytes(StandardCharsets.UTF_8));
    assertTrue(holds(JSON.createObjectNode().set("payloads", JSON.createArrayNode().add(encoded)), SECRET));
    assertFalse(holds(JSON.createObjectNode().put("data", "e30="), SECRET));
  }

  @Test
  void anInlinePasswordFailsTheRunAtOnceAndIsNeitherLoggedNorRecorded() throws Exception {
    String plan = "{\"name\":\"leak\",\"source\":" + endpoint("shop", "\"" + SECRET + "\"")
        + ",\"target\":" + endpoint("shop2", null) + "}";
    String message = startAndAwaitStandIn("migration-leak", plan);

    assertTrue(message.contains("source.password: write {env: NAME} or {file: PATH}, never the password itself"),
        message);
    assertTrue(message.endsWith("reference it with password.env or password.file."), message);
    assertFalse(message.contains(SECRET), message);

    InputErasure erased = erasure("migration-leak");
    assertEquals(1, erased.deletedRunIds().size(), erased.toString());
    assertEquals(List.of("source.password"), erased.fields());
    String runs = temporal.cli("workflow", "list", "-q", "WorkflowId='migration-leak'", "-o", "json");
    assertEquals(1, JSON.readTree(runs).size(), "only the stand-in is left: " + runs);
    assertEquals(erased.standInRunId(), JSON.readTree(runs).get(0).at("/execution/runId").asText(), runs);
    assertTrue(holds(JSON.readTree(temporal.cli("workflow", "show", "--workflow-id", "migration-leak", "-o", "json")),
        InlineSecrets.STAND_IN_KEY), "the stand-in's input names the fields");
    noHistoryHolds(SECRET);
    assertFalse(workerLog.toString().contains(SECRET), "the worker logged the password:\n" + workerLog);
  }

  @Test
  void aPasswordInTheUrlIsErasedTheSameWay() throws Exception {
    String secret = "Url5ecretInline";
    String plan = "{\"name\":\"urlleak\",\"source\":{\"url\":\"jdbc:postgresql://127.0.0.1:1/shop?user=m&password="
        + secret + "\",\"user\":\"m\"},\"target\":" + endpoint("shop2", null) + "}";
    String message = startAndAwaitStandIn("migration-urlleak", plan);
    assertTrue(message.contains("source.url: contains a password"), message);
    assertEquals(List.of("source.url"), erasure("migration-urlleak").fields());
    noHistoryHolds(secret);
    assertFalse(workerLog.toString().contains(secret), "the worker logged the password:\n" + workerLog);
  }

  @Test
  void aMisspeltFieldFailsTheRunAtOnceNamingTheField() throws Exception {
    String plan = "{\"name\":\"typo\",\"source\":" + endpoint("shop", null) + ",\"target\":" + endpoint("shop2", null)
        + ",\"aprovalRequired\":false}";
    String message = startAndAwaitFailure("migration-typo", plan);
    assertTrue(message.contains("unknown field 'aprovalRequired'") && message.contains("approvalRequired"), message);
    assertFalse(message.contains(InlineSecrets.DELETED), message);
    String runs = temporal.cli("workflow", "list", "-q", "WorkflowId='migration-typo'", "-o", "json");
    assertEquals(1, JSON.readTree(runs).size(), "a misspelt field is no secret: the run stays, and alone: " + runs);
    assertFalse(temporal.cli("workflow", "list", "-o", "json").contains(InputEraserWorkflow.idFor("migration-typo")),
        "no eraser for a run without a secret");
  }

  @Test
  void aPlanThatFailsValidationFailsTheRunAtOnceWithTheValidatorsMessage() throws Exception {
    String plan = "{\"name\":\"Bad Name\",\"source\":" + endpoint("shop", "{\"env\":\"A\",\"file\":\"/b\"}")
        + ",\"target\":" + endpoint("shop2", null) + "}";
    String message = startAndAwaitFailure("migration-bad-name", plan);
    assertTrue(message.contains("name: must be") && message.contains("source.password: give exactly one of env"),
        message);
    assertFalse(message.contains("Bad Name"), "the validator names fields, not values: " + message);
  }
}
