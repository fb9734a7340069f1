package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A migration that waits two weeks for sign-off and keeps the old database for 30 days stays far
 * below Temporal's history limits (51,200 events), and the Web UI names what it waits for.
 */
class LongWaitHistoryTest {
  static final String QUEUE = "long-wait";
  /** Far below Temporal's 51,200-event limit (and its 10,240-event warning). */
  static final int EVENT_BUDGET = 2_000;

  TestWorkflowEnvironment env;
  ScriptedActivities activities = new ScriptedActivities();

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    for (String name : MigrationSearchAttributes.NAMES) {
      env.registerSearchAttribute(name, io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void twoWeeksAwaitingApprovalAndThirtyDaysOfRetentionStayFarBelowTheHistoryLimit() {
    MigrationPlan routed = TestPlans.routed("long-wait",
        new ApprovalPolicy(List.of("bob", "carol"), 2, false, "21d", "abort"), null);
    MigrationPlan plan = new MigrationPlan(routed.name(), routed.source(), routed.target(), routed.tables(),
        routed.copyParallelism(), routed.cutover(), routed.approvalRequired(), "30d", routed.requestedBy(),
        routed.approval(), routed.maintenanceWindows(), routed.router(), null, null, null, routed.webhookUrl());
    TestEnvironments.workers(env, QUEUE, activities);
    env.start();
    MigrationWorkflow workflow = env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
    WorkflowClient.start(workflow::run, plan);

    env.sleep(Duration.ofDays(7));
    workflow.approveUpdate(new Approval("bob", "looked at the report", null));
    env.sleep(Duration.ofDays(7));
    MigrationStatus waiting = workflow.status();
    assertEquals(Phase.SWITCHOVER, waiting.phase());
    assertTrue(waiting.waitingFor().startsWith("approval: 1 of 2 given (bob); approvers: bob, carol; deadline 20"),
        waiting.waitingFor());
    assertTrue(waiting.waitingFor().contains(", then abort"), waiting.waitingFor());
    assertTrue(activities.calls.stream().filter("measureLag"::equals).count() >= 14 * 12,
        "the lag is measured every two hours while nobody decides: " + activities.calls.stream().filter("measureLag"::equals).count());

    workflow.approveUpdate(new Approval("carol", "window agreed", null));
    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);

    assertEquals("COMPLETED", report.outcome());
    long retention = report.phases().stream().filter(t -> t.phase() == Phase.RECOVERY).findFirst().orElseThrow().millis();
    assertTrue(retention >= Duration.ofDays(30).toMillis(), "old database kept " + retention + " ms");
    List<HistoryEvent> events = env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList();
    assertTrue(events.size() < EVENT_BUDGET, events.size() + " events for 44 days of waiting");
    // Every timer says what it waits for: the Web UI shows the summary instead of a generated id.
    List<HistoryEvent> timers = events.stream().filter(HistoryEvent::hasTimerStartedEventAttributes).toList();
    assertTrue(!timers.isEmpty());
    for (HistoryEvent timer : timers) {
      assertTrue(timer.hasUserMetadata() && timer.getUserMetadata().hasSummary(), "an unnamed timer: " + timer);
    }
  }
}
