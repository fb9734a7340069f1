package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A schema per tenant: 100,000 tables. Every payload of the run (activity inputs and results, the
 * report, failures) stays far below Temporal's 2 MB limit and the history far below its limits
 * (51,200 events, 50 MB), because the catalog stays on the servers and the copy is planned there.
 */
class HundredThousandTablesWorkflowTest {
  static final String QUEUE = "phaseshift-hundred-thousand";
  static final int TABLES = 100_000;
  /** Far below Temporal's 2 MB payload limit: the run has room for larger tables' names and findings. */
  static final int PAYLOAD_BOUND = 256 * 1024;

  /** JUnit makes an instance per test: each test has a server and a scripted schema of its own. */
  final TestWorkflowEnvironment env = TestEnvironments.withSearchAttributes();
  final ScriptedActivities activities = new ScriptedActivities();

  HundredThousandTablesWorkflowTest() {
    activities.schema = ScriptedActivities.manySmallTables(TABLES);
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void aHundredThousandTablesMigrateWithEveryPayloadFarBelowTemporalsLimit() {
    MigrationPlan plan = TestPlans.routed("hundred-thousand", null, null);
    MigrationWorkflow workflow = TestEnvironments.startedRun(env, QUEUE, activities, plan);

    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(1, activities.calls.stream().filter("planCopyBatches"::equals).count());
    assertEquals(TABLES / CopyBatching.BATCH_TABLES, activities.calls.stream().filter("copyTables"::equals).count());
    assertEquals(0, activities.calls.stream().filter("copyTable"::equals).count());
    assertEquals(TABLES, report.copyTotals().tables());
    assertEquals(TABLES * 10L, report.copyTotals().rows());
    assertEquals(CopyTally.LISTED, report.copies().size());
    assertEquals(TABLES, report.assessment().tableCount());
    assertNull(report.assessment().catalog());
    assertEquals(TABLES, report.validation().tableCount());

    List<HistoryEvent> events = history(plan);
    long historyBytes = events.stream().mapToLong(HistoryEvent::getSerializedSize).sum();
    long largestPayload = payloads(events).mapToLong(Payload::getSerializedSize).max().orElseThrow();
    System.out.printf("100,000 scripted tables: %d events, %d bytes of history, largest payload %d bytes%n",
        events.size(), historyBytes, largestPayload);
    assertTrue(largestPayload < PAYLOAD_BOUND, "largest payload: " + largestPayload + " bytes");
    assertTrue(events.size() < 5_000, "events: " + events.size());
    assertTrue(historyBytes < 5_000_000, "history: " + historyBytes + " bytes");
    MigrationStatus status = workflow.status();
    assertEquals(TABLES, status.tablesCopied());
    assertTrue(DefaultDataConverter.STANDARD_INSTANCE.toPayload(status).orElseThrow().getSerializedSize() < 100_000);
  }

  @Test
  void aFailedChangeCaptureStartOfAHundredThousandTablesFailsWithASmallFailure() {
    activities.failing("startChangeCapture", FailureTypes.PREREQUISITE, 1);
    MigrationPlan plan = TestPlans.routed("hundred-thousand-failed", null, null);
    MigrationWorkflow workflow = TestEnvironments.startedRun(env, QUEUE, activities, plan);

    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals("MigrationFailed", failure.getType());
    assertTrue(failure.getOriginalMessage().contains("startChangeCapture failed on purpose"), failure.getOriginalMessage());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals(TABLES, report.assessment().tableCount());
    HistoryEvent last = history(plan).get(history(plan).size() - 1);
    assertTrue(last.hasWorkflowExecutionFailedEventAttributes());
    assertTrue(last.getSerializedSize() < PAYLOAD_BOUND, "failure event: " + last.getSerializedSize() + " bytes");
  }

  private List<HistoryEvent> history(MigrationPlan plan) {
    return env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList();
  }

  /** Every payload the events carry: inputs, results, heartbeat details, failure details. */
  static Stream<Payload> payloads(List<HistoryEvent> events) {
    return events.stream().flatMap(e -> Stream.of(
            e.getActivityTaskScheduledEventAttributes().getInput(),
            e.getActivityTaskCompletedEventAttributes().getResult(),
            e.getWorkflowExecutionStartedEventAttributes().getInput(),
            e.getWorkflowExecutionCompletedEventAttributes().getResult(),
            e.getActivityTaskFailedEventAttributes().getFailure().getApplicationFailureInfo().getDetails(),
            e.getWorkflowExecutionFailedEventAttributes().getFailure().getApplicationFailureInfo().getDetails())
        .map(Payloads::getPayloadsList).flatMap(List::stream));
  }
}
