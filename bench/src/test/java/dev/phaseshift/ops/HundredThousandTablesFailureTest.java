package dev.phaseshift.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.FailureTypes;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.MigrationWorkflowImpl;
import dev.phaseshift.workflow.ScriptedActivities;
import dev.phaseshift.workflow.TaskQueues;
import dev.phaseshift.workflow.TestPlans;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A migration of 100,000 tables whose change capture cannot start, on a real Temporal server,
 * which enforces the payload and failure size limits the test server does not: the run ends FAILED
 * with the cause in its message and its report in the failure's details, not terminated by the
 * server for a failure too large to store (the report used to carry every table).
 */
class HundredThousandTablesFailureTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final String QUEUE = "phaseshift-hundred-thousand";
  static final int TABLES = 100_000;

  @Test
  void aFailedChangeCaptureStartFailsTheRunWithItsCauseAndAReportOfEveryTableCounted() throws Exception {
    ScriptedActivities activities = new ScriptedActivities();
    activities.schema = ScriptedActivities.manySmallTables(TABLES);
    activities.failing("startChangeCapture", FailureTypes.PREREQUISITE, 1);
    WorkerFactory workers = WorkerFactory.newInstance(temporal.client());
    Worker worker = workers.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    workers.newWorker(TaskQueues.snapshotReplicas(QUEUE)).registerActivitiesImplementations(activities);
    workers.start();
    try {
      MigrationPlan plan = TestPlans.routed("hundred-thousand-failed", null, null);
      MigrationWorkflow workflow = temporal.client().newWorkflowStub(MigrationWorkflow.class, WorkflowOptions.newBuilder()
          .setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).setWorkflowRunTimeout(Duration.ofMinutes(5)).build());

      WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> workflow.run(plan));

      ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
      assertEquals("MigrationFailed", failure.getType());
      assertTrue(failure.getOriginalMessage().contains("startChangeCapture failed on purpose"), failure.getOriginalMessage());
      MigrationReport report = failure.getDetails().get(MigrationReport.class);
      assertEquals(TABLES, report.assessment().tableCount());
      assertTrue(activities.calls.contains("undoChangeCapture"), activities.calls.toString());
      List<HistoryEvent> events = temporal.client().fetchHistory(plan.workflowId()).getHistory().getEventsList();
      HistoryEvent last = events.get(events.size() - 1);
      assertTrue(last.hasWorkflowExecutionFailedEventAttributes(), last.getEventType().toString());
      long largest = events.stream().mapToLong(HistoryEvent::getSerializedSize).max().orElseThrow();
      assertTrue(largest < 256 * 1024, "largest event: " + largest + " bytes");
      System.out.printf("100,000 tables, failed change capture on a dev server: %d events, largest %d bytes%n",
          events.size(), largest);
    } finally {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
