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
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowFailedException;
import io.temporal.worker.WorkerFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A plan started through {@code temporal workflow start} (as the Web UI's start form does) that
 * cannot be read fails its run within seconds with a message that names the field, and a password
 * written inline reaches neither the worker's log nor any event the worker writes to history.
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

  @Test
  void anInlinePasswordFailsTheRunAtOnceAndIsNeitherLoggedNorRecorded() throws Exception {
    String plan = "{\"name\":\"leak\",\"source\":" + endpoint("shop", "\"" + SECRET + "\"")
        + ",\"target\":" + endpoint("shop2", null) + "}";
    String message = startAndAwaitFailure("migration-leak", plan);

    assertTrue(message.contains("source.password: write {env: NAME} or {file: PATH}, never the password itself"),
        message);
    assertFalse(message.contains(SECRET), message);
    String describe = temporal.cli("workflow", "describe", "--workflow-id", "migration-leak", "-o", "json");
    assertEquals("WORKFLOW_EXECUTION_STATUS_FAILED",
        JSON.readTree(describe).at("/workflowExecutionInfo/status").asText(), describe);

    // The started event holds the input exactly as the caller sent it (Temporal stores inputs
    // as given); every event the worker wrote must be free of it.
    JsonNode history = JSON.readTree(temporal.cli("workflow", "show", "--workflow-id", "migration-leak", "-o", "json"));
    int workerEvents = 0;
    for (JsonNode event : history.path("events")) {
      String type = event.path("eventType").asText().replace("_", "").toLowerCase();
      if (type.contains("workflowexecutionstarted")) continue;
      workerEvents++;
      assertFalse(event.toString().contains(SECRET), "the password is in history: " + event);
    }
    assertTrue(workerEvents >= 3, "the run did not get as far as failing: " + history);
    String types = history.findValuesAsText("eventType").toString().replace("_", "").toLowerCase();
    assertTrue(types.contains("workflowexecutionfailed"), types);
    assertFalse(types.contains("workflowtaskfailed"), "a workflow task failed: " + history);
    assertFalse(workerLog.toString().contains(SECRET), "the worker logged the password:\n" + workerLog);
  }

  @Test
  void aMisspeltFieldFailsTheRunAtOnceNamingTheField() throws Exception {
    String plan = "{\"name\":\"typo\",\"source\":" + endpoint("shop", null) + ",\"target\":" + endpoint("shop2", null)
        + ",\"aprovalRequired\":false}";
    String message = startAndAwaitFailure("migration-typo", plan);
    assertTrue(message.contains("unknown field 'aprovalRequired'") && message.contains("approvalRequired"), message);
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
