package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.SeedingResult;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.Seeding;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Physical seeding in the workflow, with scripted activities: the target-host steps run on the
 * seeding queue in place of the table copy, their blockers stop PREPARE before anything changes,
 * and every way a run ends before the switchover removes the physical copy.
 */
class PhysicalSeedWorkflowTest {
  static final String QUEUE = "phaseshift-test";
  /** Steps of the logical copy, none of which a physically seeded run may call. */
  static final List<String> LOGICAL_STEPS = List.of("createTargetSchema", "startChangeCapture", "copyTable",
      "copyTables", "copyTableSlice", "finishTargetSchema", "startChangeStream", "undoChangeCapture",
      "dropTargetObjects", "resetCopy");

  TestWorkflowEnvironment env;
  ScriptedActivities activities;
  ScriptedSeeding seeding;

  @BeforeEach
  void start() {
    env = TestEnvironments.withSearchAttributes();
    activities = new ScriptedActivities();
    seeding = new ScriptedSeeding(activities);
  }

  @AfterEach
  void stop() {
    env.close();
  }

  static MigrationPlan physical(MigrationPlan p, String taskQueue) {
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl(), p.mode(),
        p.lockTimeout(), p.retiredClients(), p.subscriptionAuth(), p.verification(), p.optimize(), p.assessment(),
        new Seeding(Seeding.PHYSICAL, "/var/lib/postgresql/18/main", taskQueue, null));
  }

  /** The workers as a real deployment has them; {@code seedingQueue} null: no worker on the target host. */
  private MigrationWorkflow startWorkers(MigrationPlan plan, String seedingQueue) {
    TestEnvironments.workers(env, QUEUE, activities).registerWorkflowImplementationTypes(AssessmentWorkflowImpl.class);
    if (seedingQueue != null) {
      env.newWorker(seedingQueue, TestEnvironments.promptHeartbeats()).registerActivitiesImplementations(seeding);
    }
    env.start();
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
  }

  private void assertNoLogicalStep() {
    for (String step : LOGICAL_STEPS) {
      assertFalse(activities.calls.contains(step), step + " ran in a physically seeded run: " + activities.calls);
    }
  }

  @Test
  void aPhysicalRunSeedsOnTheTargetHostsQueueInsteadOfCopyingAndCompletes() {
    MigrationPlan plan = physical(TestPlans.routed("seeded", null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(List.of("assess", "checkSeedingHost", "seedPhysically", "measureLag", "validate"),
        activities.calls.subList(0, 5));
    assertTrue(activities.calls.containsAll(List.of("switchover", "verify", "decommission", "optimize")),
        activities.calls.toString());
    assertNoLogicalStep();
    assertFalse(activities.calls.contains("undoPhysicalSeeding"), "a completed run keeps its copy");
    assertEquals(List.of("phaseshift-test-seeding", "phaseshift-test-seeding"), seeding.queues);
    assertEquals("physical", report.seeding().method());
    assertEquals("phaseshift-test-seeding", report.seeding().taskQueue());
    assertNull(report.copyTotals(), "no tally of zero copied tables");
    assertEquals(List.of(), report.copies());
    assertEquals(0, workflow.status().tablesTotal(), "status shows no table copy to wait for");
    assertEquals(List.of("claim", "release"), activities.leaseCalls.subList(0, 2),
        "the databases are claimed and released as before");
  }

  @Test
  void theStatusSaysWhatTheSeedingWaitsForAndThePlansQueueIsUsed() {
    activities.holding("seedPhysically");
    MigrationPlan plan = physical(TestPlans.routed("seeded-q", null, null), "db7-seeding");
    MigrationWorkflow workflow = startWorkers(plan, "db7-seeding");
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus seedingNow = TestEnvironments.awaitStatus(env, workflow,
        s -> activities.calls.contains("seedPhysically"));
    assertEquals(Phase.MIGRATE, seedingNow.phase());
    assertEquals("seeding the target physically: a copy of the source's whole cluster, turned into the change"
        + " stream's target, on db7-seeding",
        seedingNow.waitingFor());
    assertEquals("seed the target physically", seedingNow.step());
    activities.release("seedPhysically");

    assertEquals("COMPLETED", WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class).outcome());
    assertEquals(List.of("db7-seeding", "db7-seeding"), seeding.queues);
  }

  @Test
  void theTargetHostsBlockersStopPrepareLikeTheAssessmentsBeforeAnythingChanges() {
    seeding.findings = List.of(new Finding(Severity.BLOCKER, "data_directory_not_empty",
        "/var/lib/postgresql/18/main", "the data directory holds files; empty it or choose another"),
        new Finding(Severity.WARNING, "disk", "/var/lib/postgresql", "80% of the disk will be used"));
    MigrationPlan plan = physical(TestPlans.routed("host-blocked", null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = TestEnvironments.failure(workflow);

    assertTrue(failure.getOriginalMessage().contains("the assessment found 1 blocker(s); nothing was changed:\n"
        + "- /var/lib/postgresql/18/main: the data directory holds files; empty it or choose another"),
        failure.getOriginalMessage());
    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, failure.getCause());
    assertEquals(FailureTypes.PREREQUISITE, cause.getType());
    assertEquals(List.of("assess", "checkSeedingHost"), activities.calls, "no undo: nothing was changed");
    assertEquals(List.of(), activities.leaseCalls, "no lease was taken");
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals(2, report.assessment().findings().size(), "the host's findings are in the report's assessment");
  }

  /** Runs the minute of the host check's wait in real time: the test server does not skip time past a pending activity. */
  @Test
  void noWorkerOnTheSeedingQueueFailsPrepareWithHowToStartOne() {
    MigrationPlan plan = physical(TestPlans.routed("no-host", null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, null);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = TestEnvironments.failure(workflow);

    assertTrue(failure.getOriginalMessage().contains("the assessment found 1 blocker(s); nothing was changed:\n"
        + "- seeding queue phaseshift-test-seeding: no worker took the target-host check within 60s: start a"
        + " worker on the target host with phaseshift.seeding-queue=phaseshift-test-seeding (environment"
        + " PHASESHIFT_SEEDING_QUEUE), running as the operating-system user that will own"
        + " /var/lib/postgresql/18/main"), failure.getOriginalMessage());
    assertEquals(List.of("assess"), activities.calls);
    assertEquals(List.of(), activities.leaseCalls);
  }

  @Test
  void aFailureAfterTheSeedingRemovesThePhysicalCopyAndNothingElse() {
    activities.failing("validate", FailureTypes.VALIDATION_FAILED, 1);
    MigrationPlan p = TestPlans.routed("seed-fails", null, null);
    // A disposable target: the logical path would drop its objects, the physical one removes the server.
    MigrationPlan plan = physical(new MigrationPlan(p.name(), p.source(), p.target(), p.tables(),
        p.copyParallelism(), p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(),
        p.maintenanceWindows(), p.router(), true, null, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = TestEnvironments.failure(workflow);

    assertEquals("MigrationFailed", failure.getType());
    List<String> calls = activities.calls;
    assertEquals("undoPhysicalSeeding", calls.get(calls.size() - 1), calls.toString());
    assertNoLogicalStep();
    assertEquals(Phase.TEST, failure.getDetails().get(MigrationReport.class).failedIn());
  }

  @Test
  void aSeedingThatFailsIsUndoneOnTheTargetHost() {
    activities.failing("seedPhysically", FailureTypes.PREREQUISITE, 1);
    MigrationPlan plan = physical(TestPlans.routed("seed-broke", null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));
    WorkflowClient.start(workflow::run, plan);

    TestEnvironments.failure(workflow);

    assertEquals(List.of("assess", "checkSeedingHost", "seedPhysically", "undoPhysicalSeeding"), activities.calls);
    assertEquals(List.of("phaseshift-test-seeding", "phaseshift-test-seeding", "phaseshift-test-seeding"),
        seeding.queues, "every target-host step ran on the seeding queue");
  }

  @Test
  void anAbortDuringTheSeedingWaitsForItToStopThenRemovesTheCopy() {
    activities.holding("seedPhysically");
    MigrationPlan plan = physical(TestPlans.routed("seed-abort", null, null), null);
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));
    WorkflowClient.start(workflow::run, plan);
    TestEnvironments.awaitStatus(env, workflow, s -> activities.calls.contains("seedPhysically"));

    workflow.abort(new OperatorRequest("dave", "wrong data directory"));
    ApplicationFailure failure = TestEnvironments.failure(workflow);

    assertEquals("MigrationAborted", failure.getType());
    assertEquals(List.of("assess", "checkSeedingHost", "seedPhysically", "undoPhysicalSeeding"), activities.calls);
  }

  @Test
  void theAssessmentCommandReportsTheTargetHostsFindingsToo() {
    seeding.findings = List.of(new Finding(Severity.BLOCKER, "port_in_use", "new-db:5432",
        "port 5432 is taken on the target host; stop what listens there or choose another port in target.url"));
    MigrationPlan plan = physical(TestPlans.routed("assessed", null, null), null);
    startWorkers(plan, TaskQueues.seeding(QUEUE));
    AssessmentWorkflow assessment = env.getWorkflowClient().newWorkflowStub(AssessmentWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("assess-assessed").build());

    var readiness = assessment.assess(plan);

    assertEquals(seeding.findings, readiness.assessment().blockers());
    assertEquals(List.of("assess", "checkSeedingHost"), activities.calls.subList(0, 2));
  }

  @Test
  void theWebUiDetailsShowTheSeedingInPlaceOfATableTally() {
    MigrationState state = new MigrationState();
    state.plan = physical(TestPlans.plan("details", false), null).asRehearsal().withDefaults();
    state.phase = Phase.COMPLETED;
    state.seeded = new SeedingResult(Seeding.PHYSICAL, "q-seeding", 4200);
    state.rehearsal = new dev.phaseshift.model.RehearsalResult(4200, 6_000_000, 10, 0, 20, true);

    String md = StatusDetails.markdown(state);

    assertTrue(md.contains("| Seeding | physical, 4200 ms on q-seeding |"), md);
    assertTrue(md.contains("| Seeding time | 4200 ms |"), md);
    assertFalse(md.contains("Tables copied") || md.contains("Copy time"), md);
  }

  @Test
  void aPhysicalRehearsalTearsTheCopyDownAndMeasuresTheSeeding() {
    MigrationPlan plan = physical(TestPlans.plan("seed-rehearsal", false), null).asRehearsal();
    MigrationWorkflow workflow = startWorkers(plan, TaskQueues.seeding(QUEUE));

    MigrationReport report = workflow.run(plan);

    assertEquals("REHEARSED", report.outcome());
    assertEquals(List.of("assess", "checkSeedingHost", "seedPhysically", "measureLag", "validate", "measureLag",
        "undoPhysicalSeeding"), activities.calls);
    assertTrue(report.rehearsal().tornDown());
    assertNotNull(report.seeding());
    assertEquals(report.seeding().millis(), report.rehearsal().copyMillis());
    assertEquals(report.assessment().totalBytes(), report.rehearsal().copiedBytes(),
        "the seeding is measured against the database's size, so a forecast can scale from it");
  }
}
