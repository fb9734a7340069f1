package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MigrationWorkflowTest {
  static final String QUEUE = "phaseshift-test";

  TestWorkflowEnvironment env;
  ScriptedActivities activities;

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    activities = new ScriptedActivities();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private MigrationWorkflow startWorkers(MigrationPlan plan) {
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    env.newWorker(ScriptedActivities.COPY_QUEUE).registerActivitiesImplementations(activities);
    env.start();
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
  }

  @Test
  void runsThePhasesInOrderAndKeepsTheOldDatabaseForTheRetentionWindow() {
    MigrationPlan plan = TestPlans.plan("orders-move", false);
    MigrationWorkflow workflow = startWorkers(plan);
    long before = env.currentTimeMillis();

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(List.of("assess", "createTargetSchema", "startChangeCapture", "copyTable", "copyTable",
        "copyTable", "finishTargetSchema", "startChangeStream", "measureLag", "validate", "measureLag",
        "switchover", "verify", "decommission", "optimize"), activities.calls);
    assertEquals(List.of(Phase.PREPARE, Phase.MIGRATE, Phase.TEST, Phase.SWITCHOVER, Phase.VERIFY,
        Phase.RECOVERY, Phase.OPTIMIZE), report.phases().stream().map(t -> t.phase()).toList());
    long retention = report.phases().stream().filter(t -> t.phase() == Phase.RECOVERY).findFirst().orElseThrow().millis();
    assertTrue(retention >= Duration.ofHours(48).toMillis(), "decommissioned after " + retention + " ms");
    assertTrue(env.currentTimeMillis() - before >= Duration.ofHours(48).toMillis());
    assertEquals(3, report.copies().size());
    assertEquals(420, report.switchover().writeFreezeMillis());
    assertTrue(report.approvals().isEmpty());
  }

  @Test
  void waitsForApprovalBeforeTheSwitchoverAndRecordsWhoApproved() {
    MigrationPlan plan = TestPlans.plan("needs-approval", true);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    env.sleep(Duration.ofHours(3));
    MigrationStatus waiting = workflow.status();
    assertEquals(Phase.SWITCHOVER, waiting.phase());
    assertTrue(waiting.waitingFor().startsWith("approval"), waiting.waitingFor());
    assertFalse(activities.calls.contains("switchover"));
    assertEquals("source", waiting.primary());

    workflow.approve(new Approval("bob", "window agreed with the shop team", null));
    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(1, report.approvals().size());
    assertEquals("bob", report.approvals().get(0).approver());
    assertEquals("window agreed with the shop team", report.approvals().get(0).comment());
    assertTrue(report.approvals().get(0).at() != null);
    assertTrue(activities.calls.indexOf("switchover") > activities.calls.indexOf("validate"));
  }

  static Stream<Arguments> failingSteps() {
    return Stream.of(
        Arguments.of("assess", FailureTypes.PREREQUISITE, Phase.PREPARE, true),
        Arguments.of("createTargetSchema", FailureTypes.PREREQUISITE, Phase.PREPARE, true),
        Arguments.of("copyTable", FailureTypes.PREREQUISITE, Phase.MIGRATE, true),
        Arguments.of("startChangeStream", FailureTypes.PREREQUISITE, Phase.MIGRATE, true),
        Arguments.of("validate", FailureTypes.VALIDATION_FAILED, Phase.TEST, true),
        Arguments.of("switchover", FailureTypes.PREREQUISITE, Phase.SWITCHOVER, true),
        Arguments.of("verify", FailureTypes.PREREQUISITE, Phase.VERIFY, false),
        Arguments.of("decommission", FailureTypes.PREREQUISITE, Phase.RECOVERY, false),
        Arguments.of("optimize", FailureTypes.PREREQUISITE, Phase.OPTIMIZE, false));
  }

  @ParameterizedTest(name = "{0} failing stops the run in {2}")
  @MethodSource("failingSteps")
  void aFailureStopsTheRunInAClearState(String step, String type, Phase phase, boolean undone) {
    activities.failing(step, type, 1);
    MigrationPlan plan = TestPlans.plan("fails-in-" + step.toLowerCase(), false);
    MigrationWorkflow workflow = startWorkers(plan);

    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> workflow.run(plan));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals("MigrationFailed", failure.getType());
    assertTrue(failure.getOriginalMessage().contains("failed in " + phase), failure.getOriginalMessage());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals("FAILED", report.outcome());
    assertEquals(phase, report.failedIn());
    assertTrue(report.error().contains(step + " failed on purpose"), report.error());
    assertEquals(undone, activities.calls.contains("undoChangeCapture"),
        "compensation only before the target became primary: " + activities.calls);
    assertEquals(step, activities.calls.get(activities.calls.size() - (undone ? 2 : 1)),
        "nothing runs after the failed step but compensation: " + activities.calls);
    assertEquals(Phase.FAILED, workflow.status().phase());
  }

  @Test
  void blockersStopTheRunBeforeAnythingChanges() {
    activities.findings = List.of(new Finding(Severity.BLOCKER, "wal_level", "source",
        "wal_level is replica; set wal_level = logical and restart"));
    MigrationPlan plan = TestPlans.plan("blocked", false);
    MigrationWorkflow workflow = startWorkers(plan);

    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> workflow.run(plan));

    ApplicationFailure failure = (ApplicationFailure) failed.getCause();
    assertTrue(failure.getOriginalMessage().contains("wal_level is replica"), failure.getOriginalMessage());
    assertEquals(List.of("assess", "undoChangeCapture"), activities.calls);
  }

  @Test
  void anInvalidPlanIsRefusedWithEveryProblemAndNoActivityRuns() {
    MigrationPlan bad = new MigrationPlan("Bad Name", null, TestPlans.plan("x", false).target(),
        null, 0, null, null, "two days", null);
    MigrationWorkflow workflow = startWorkers(TestPlans.plan("bad", false));

    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> workflow.run(bad));

    ApplicationFailure failure = (ApplicationFailure) failed.getCause();
    assertEquals(FailureTypes.INVALID_PLAN, failure.getType());
    String message = failure.getOriginalMessage();
    assertTrue(message.contains("name:") && message.contains("source:") && message.contains("copyParallelism")
        && message.contains("retention"), message);
    assertTrue(activities.calls.isEmpty(), activities.calls.toString());
  }

  @Test
  void aLostSnapshotStartsTheCopyOverFromANewOne() {
    activities.failing("copyTable", FailureTypes.SNAPSHOT_LOST, 1);
    MigrationPlan plan = TestPlans.plan("snapshot-lost", false);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    int reset = activities.calls.indexOf("resetCopy");
    assertTrue(reset > 0, activities.calls.toString());
    assertEquals("startChangeCapture", activities.calls.get(reset + 1));
    assertEquals(3, report.copies().size(), "every table copied once under the new snapshot");
  }

  @Test
  void aSwitchoverWhoseLagDoesNotDrainIsRetriedAfterAPause() {
    activities.failing("switchover", FailureTypes.LAG_NOT_DRAINED, 1);
    MigrationPlan plan = TestPlans.plan("lag-retry", false);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(2, activities.calls.stream().filter("switchover"::equals).count());
    assertFalse(activities.calls.contains("undoChangeCapture"));
  }

  @Test
  void theStatusQueryWorksAfterTheRunEnded() {
    MigrationPlan plan = TestPlans.plan("finished", false);
    MigrationWorkflow workflow = startWorkers(plan);
    workflow.run(plan);

    MigrationStatus status = workflow.status();
    assertEquals(Phase.COMPLETED, status.phase());
    assertEquals("target", status.primary());
    assertEquals(420L, status.writeFreezeMillis());
  }
}
