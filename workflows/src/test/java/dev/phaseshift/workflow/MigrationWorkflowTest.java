package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RetiredClient;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MigrationWorkflowTest {
  static final String QUEUE = "phaseshift-test";
  static final ApprovalPolicy TWO_OF_THREE = new ApprovalPolicy(List.of("bob", "carol", "alice"), 2, false, null, null);

  TestWorkflowEnvironment env;
  ScriptedActivities activities;

  @BeforeEach
  void start() {
    env = TestEnvironments.withSearchAttributes();
    activities = new ScriptedActivities();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private MigrationWorkflow startWorkers(MigrationPlan plan) {
    // As the real workers do: heartbeats (and so cancellations) reach the server within a second.
    WorkerOptions options = WorkerOptions.newBuilder()
        .setDefaultHeartbeatThrottleInterval(Duration.ofMillis(200))
        .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(1))
        .build();
    Worker worker = env.newWorker(QUEUE, options);
    worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    // Every worker also polls the queue where copy snapshots are held (PhaseshiftWorkers does the same).
    env.newWorker(TaskQueues.snapshotReplicas(QUEUE)).registerActivitiesImplementations(activities);
    env.start();
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
  }

  private static MigrationReport result(MigrationWorkflow workflow) {
    return WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);
  }

  private static ApplicationFailure failure(MigrationWorkflow workflow) {
    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> result(workflow));
    return assertInstanceOf(ApplicationFailure.class, failed.getCause());
  }

  /** Advances workflow time in small steps until the status satisfies {@code condition}. */
  private MigrationStatus awaitStatus(MigrationWorkflow workflow, Predicate<MigrationStatus> condition) {
    // Long enough for the default 15-minute verification window before RECOVERY.
    for (int i = 0; i < 1500; i++) {
      MigrationStatus status = workflow.status();
      if (condition.test(status)) return status;
      env.sleep(Duration.ofSeconds(1));
    }
    throw new AssertionError("status never matched: " + workflow.status());
  }

  @Test
  void publishesHostsRequesterAndEveryPhaseAsSearchAttributes() {
    MigrationPlan plan = TestPlans.routed("attrs-move", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    workflow.run(plan);

    List<Map<String, String>> upserts = new ArrayList<>();
    for (HistoryEvent e : env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList()) {
      if (!e.hasUpsertWorkflowSearchAttributesEventAttributes()) continue;
      Map<String, String> values = new LinkedHashMap<>();
      e.getUpsertWorkflowSearchAttributesEventAttributes().getSearchAttributes().getIndexedFieldsMap()
          .forEach((k, v) -> values.put(k, DefaultDataConverter.STANDARD_INSTANCE.fromPayload(v, String.class, String.class)));
      upserts.add(values);
    }
    assertEquals(Map.of("MigrationPhase", "PREPARE", "SourceHost", "old-db:5432", "TargetHost", "new-db:5432",
        "Requester", "alice"), upserts.get(0));
    assertEquals(List.of("MIGRATE", "TEST", "SWITCHOVER", "VERIFY", "RECOVERY", "OPTIMIZE", "COMPLETED"),
        upserts.subList(1, upserts.size()).stream().map(u -> u.get("MigrationPhase")).toList());
  }

  @Test
  void aRehearsalMeasuresValidatesAndTearsEverythingDownInsteadOfSwitchingOver() {
    MigrationPlan plan = TestPlans.plan("orders-move", true).asRehearsal();
    assertEquals("rehearsal-orders-move", plan.workflowId());
    assertEquals("phaseshift_r_orders_move", plan.objectName());
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("REHEARSED", report.outcome());
    assertEquals(List.of("assess", "createTargetSchema", "startChangeCapture", "copyTable", "copyTable",
        "copyTable", "finishTargetSchema", "startChangeStream", "measureLag", "validate", "measureLag",
        "undoChangeCapture", "dropTargetObjects"), activities.calls);
    assertNull(report.switchover());
    assertTrue(report.rehearsal().tornDown());
    assertTrue(report.rehearsal().freezeForecastMillis() >= 0, report.rehearsal().toString());
    assertEquals(report.copies().stream().mapToLong(c -> c.bytes()).sum(), report.rehearsal().copiedBytes());
    assertEquals(Phase.COMPLETED, workflow.status().phase());
  }

  @Test
  void aFailedRehearsalDropsWhatItCreatedOnTheScratchTarget() {
    MigrationPlan plan = TestPlans.plan("orders-move", false).asRehearsal();
    activities.failing("validate", FailureTypes.PREREQUISITE, 1);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    failure(workflow);

    assertTrue(activities.calls.containsAll(List.of("undoChangeCapture", "dropTargetObjects")), activities.calls.toString());
  }

  @Test
  void anUndoThatFailsIsReportedAndTheUndoStepsAfterItStillRun() {
    MigrationPlan plan = TestPlans.plan("orders-move", false).asRehearsal();
    activities.failing("validate", FailureTypes.PREREQUISITE, 1);
    activities.failing("undoChangeCapture", FailureTypes.PREREQUISITE, 1);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = failure(workflow);

    // Newest first: the change capture's undo (MIGRATE) fails, the target's (PREPARE) still runs.
    List<String> calls = activities.calls;
    assertTrue(calls.indexOf("dropTargetObjects") > calls.indexOf("undoChangeCapture"), calls.toString());
    assertTrue(failure.getOriginalMessage().contains("cleanup failed too"), failure.getOriginalMessage());
    assertTrue(failure.getOriginalMessage().contains("by hand"), failure.getOriginalMessage());
    assertFalse(failure.getOriginalMessage().contains("objects were removed"), failure.getOriginalMessage());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertTrue(report.error().contains("cleanup failed too"), report.error());
  }

  @Test
  void runsThePhasesInOrderAndKeepsTheOldDatabaseForTheRetentionWindow() {
    MigrationPlan plan = TestPlans.routed("orders-move", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    long before = env.currentTimeMillis();

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    // The verification window (15 minutes by default, a sample every 30 s): a first reading, then 30 samples.
    List<String> expected = new java.util.ArrayList<>(List.of("assess", "createTargetSchema", "startChangeCapture",
        "copyTable", "copyTable", "copyTable", "finishTargetSchema", "startChangeStream", "measureLag", "validate",
        "verificationCounters", "measureLag", "longWriteTransactions", "verificationBaseline", "switchover", "verify",
        "startReverseReplication"));
    expected.addAll(java.util.Collections.nCopies(31, "verificationSample"));
    expected.addAll(List.of("decommission", "optimize", "adviseOptimization"));
    assertEquals(expected, activities.calls);
    assertEquals(List.of(Phase.PREPARE, Phase.MIGRATE, Phase.TEST, Phase.SWITCHOVER, Phase.VERIFY,
        Phase.RECOVERY, Phase.OPTIMIZE), report.phases().stream().map(t -> t.phase()).toList());
    long retention = report.phases().stream().filter(t -> t.phase() == Phase.RECOVERY).findFirst().orElseThrow().millis();
    assertTrue(retention >= Duration.ofHours(48).toMillis(), "decommissioned after " + retention + " ms");
    assertTrue(env.currentTimeMillis() - before >= Duration.ofHours(48).toMillis());
    assertEquals(3, report.copies().size());
    assertEquals(420, report.switchover().writeFreezeMillis());
    assertEquals(List.of("assessment", "switchover", "verification", "completed"), activities.notifications.stream().map(n -> n.event()).toList());
  }

  @Test
  void approvalFollowsThePolicyAndEveryDecisionIsAudited() {
    MigrationPlan plan = TestPlans.routed("needs-approval", TWO_OF_THREE, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus waiting = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));
    assertEquals(Phase.SWITCHOVER, waiting.phase());
    assertTrue(waiting.waitingFor().contains("0 of 2"), waiting.waitingFor());

    WorkflowUpdateException stranger = assertThrows(WorkflowUpdateException.class,
        () -> workflow.approveUpdate(new Approval("mallory", "let me", null)));
    ApplicationFailure strangerRefusal = (ApplicationFailure) stranger.getCause();
    assertEquals("Refused", strangerRefusal.getType());
    assertTrue(strangerRefusal.getOriginalMessage().startsWith("approve refused: mallory is not an approver"),
        strangerRefusal.getOriginalMessage());
    assertFalse(strangerRefusal.getOriginalMessage().contains("\n"), "one line: " + strangerRefusal.getOriginalMessage());
    WorkflowUpdateException requester = assertThrows(WorkflowUpdateException.class,
        () -> workflow.approveUpdate(new Approval("alice", "my own", null)));
    assertTrue(requester.getCause().getMessage().contains("four-eyes"), requester.getCause().getMessage());

    Decision bob = workflow.approveUpdate(new Approval("bob", "checked the report", null));
    assertTrue(bob.accepted());
    WorkflowUpdateException twice = assertThrows(WorkflowUpdateException.class,
        () -> workflow.approveUpdate(new Approval("bob", "again", null)));
    assertTrue(twice.getCause().getMessage().contains("already approved"), twice.getCause().getMessage());
    // A refused signal cannot be refused to the sender, so it is recorded as refused.
    workflow.approve(new Approval("alice", "via the web UI", null));
    env.sleep(Duration.ofMinutes(2));
    assertFalse(activities.calls.contains("switchover"), "one approval of two is not enough");

    workflow.approve(new Approval("carol", "window agreed with the shop team", null));
    MigrationReport report = result(workflow);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(List.of("bob", "carol"), report.approvals().stream().map(Approval::approver).toList());
    // Every request is in the trail, refused Updates included, with who, when and why.
    List<Decision> approvals = report.decisions().stream().filter(d -> d.action().equals("approve")).toList();
    assertEquals(List.of("mallory", "alice", "bob", "bob", "alice", "carol"),
        approvals.stream().map(Decision::by).toList(), approvals.toString());
    assertEquals(List.of(false, false, true, false, false, true),
        approvals.stream().map(Decision::accepted).toList(), approvals.toString());
    assertTrue(approvals.get(0).reason().contains("not an approver") && "let me".equals(approvals.get(0).comment()),
        approvals.toString());
    assertTrue(approvals.get(1).reason().contains("four-eyes"), approvals.toString());
    assertTrue(approvals.get(3).reason().contains("already approved"), approvals.toString());
    assertTrue(approvals.get(4).reason().contains("four-eyes"), approvals.toString());
    assertEquals("window agreed with the shop team", approvals.get(5).comment());
    assertTrue(approvals.stream().allMatch(d -> d.at() != null), approvals.toString());
    // What `temporal workflow update` and the Web UI print for a refusal: one line, no stack trace.
    int refusedUpdates = 0;
    for (HistoryEvent e : env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList()) {
      if (!e.hasWorkflowExecutionUpdateCompletedEventAttributes()
          || !e.getWorkflowExecutionUpdateCompletedEventAttributes().getOutcome().hasFailure()) continue;
      var refusal = e.getWorkflowExecutionUpdateCompletedEventAttributes().getOutcome().getFailure();
      refusedUpdates++;
      assertEquals("", refusal.getStackTrace(), refusal.toString());
      assertFalse(refusal.getMessage().contains("\n"), refusal.getMessage());
    }
    assertEquals(3, refusedUpdates);
    int validateAgain = activities.calls.lastIndexOf("validate");
    assertTrue(validateAgain > activities.calls.indexOf("validate") && validateAgain < activities.calls.indexOf("switchover"),
        "re-validated right before the freeze: " + activities.calls);
    assertEquals("approval-needed", activities.notifications.get(1).event(), "after the assessment's report");
  }

  @Test
  void anApprovalIsWithdrawnWhenLagRisesBeforeTheFreeze() {
    MigrationPlan plan = TestPlans.routed("lag-rises", new ApprovalPolicy(List.of(), 1, false, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));

    activities.lagBytes = 64L * 1024 * 1024;
    workflow.approveUpdate(new Approval("bob", "go", null));
    MigrationStatus withdrawn = awaitStatus(workflow, s -> s.approvals().isEmpty()
        && s.decisions().stream().anyMatch(d -> d.action().equals("withdraw")));
    assertTrue(withdrawn.decisions().stream().anyMatch(d -> d.action().equals("withdraw") && d.reason().contains("lag")),
        withdrawn.decisions().toString());
    assertFalse(activities.calls.contains("switchover"));

    activities.lagBytes = 0;
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));
    workflow.approveUpdate(new Approval("carol", "lag is back down", null));
    assertEquals("COMPLETED", result(workflow).outcome());
  }

  @Test
  void theSwitchoverWaitsForAMaintenanceWindowWithRoomForTheFreeze() {
    long now = env.currentTimeMillis();
    long hour = Duration.ofHours(1).toMillis();
    // The first window closes 10 s after it is seen: too short for a 30 s freeze.
    activities.windows.add(new WindowOpening(now - hour, now + Duration.ofSeconds(10).toMillis()));
    activities.windows.add(new WindowOpening(now + 5 * hour, now + 7 * hour));
    MigrationPlan plan = TestPlans.routed("windowed", null,
        List.of(new MaintenanceWindow("0 2 * * SAT", "2h", null, null, "Europe/Berlin")));
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    long switchedAt = report.phases().stream().filter(t -> t.phase() == Phase.SWITCHOVER).findFirst().orElseThrow().millis()
        + java.time.Instant.parse(report.phases().stream().filter(t -> t.phase() == Phase.SWITCHOVER)
            .findFirst().orElseThrow().startedAt()).toEpochMilli();
    assertTrue(switchedAt >= now + 5 * hour, "switched over inside the second window");
    assertEquals("COMPLETED", report.outcome());
  }

  @Test
  void longWriteTransactionsHoldTheSwitchoverBack() {
    activities.longTransactions = List.of("pid 4711 (application 'report', user app) writing for 7m: UPDATE big");
    MigrationPlan plan = TestPlans.routed("long-tx", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus held = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().contains("pid 4711"));
    assertEquals(Phase.SWITCHOVER, held.phase());
    assertFalse(activities.calls.contains("switchover"));

    activities.longTransactions = List.of();
    assertEquals("COMPLETED", result(workflow).outcome());
  }

  @Test
  void aLoginRoleWithoutPasswordOnTheTargetHoldsTheSwitchoverBackAndSaysWhichOne() {
    activities.longTransactions = List.of("a password for login role shop_app on the target (it was created without"
        + " one: the source role may not read passwords); run there: ALTER ROLE \"shop_app\" PASSWORD '...'");
    MigrationPlan plan = TestPlans.routed("login-wait", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus held = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().contains("shop_app"));
    assertTrue(held.waitingFor().startsWith("the switchover waits for: a password for login role shop_app"),
        held.waitingFor());
    assertFalse(activities.calls.contains("switchover"));

    activities.longTransactions = List.of();
    assertEquals("COMPLETED", result(workflow).outcome());
  }

  @Test
  void anApprovalDeadlineCanAbortTheMigration() {
    MigrationPlan plan = TestPlans.routed("deadline", new ApprovalPolicy(List.of(), 1, false, "4h", "abort"), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = failure(workflow);

    assertEquals("MigrationAborted", failure.getType());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals("ABORTED", report.outcome());
    assertTrue(report.error().contains("no approval within the deadline of 4h"), report.error());
    assertTrue(activities.calls.contains("undoChangeCapture"));
    assertTrue(activities.notifications.stream().anyMatch(n -> n.event().equals("approval-deadline")));
  }

  static Stream<Arguments> failingSteps() {
    return Stream.of(
        Arguments.of("assess", FailureTypes.PREREQUISITE, Phase.PREPARE, false),
        Arguments.of("createTargetSchema", FailureTypes.PREREQUISITE, Phase.PREPARE, false),
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
  void aFailureStopsTheRunInAClearStateAndUndoesWhatWasDone(String step, String type, Phase phase, boolean undone) {
    activities.failing(step, type, 1);
    MigrationPlan plan = TestPlans.routed("fails-in-" + step.toLowerCase(), null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = failure(workflow);

    assertEquals("MigrationFailed", failure.getType());
    assertTrue(failure.getOriginalMessage().contains("failed in " + phase), failure.getOriginalMessage());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals("FAILED", report.outcome());
    assertEquals(phase, report.failedIn());
    assertTrue(report.error().contains(step + " failed on purpose"), report.error());
    assertEquals(undone, activities.calls.contains("undoChangeCapture"),
        "undo only for what was done, and only before the target became primary: " + activities.calls);
    assertEquals(step, activities.calls.get(activities.calls.size() - (undone ? 2 : 1)),
        "nothing runs after the failed step but its undo: " + activities.calls);
    assertEquals(Phase.FAILED, workflow.status().phase());
    assertEquals("failed", activities.notifications.get(activities.notifications.size() - 1).event());
  }

  @Test
  void aDisposableTargetIsEmptiedByTheUndoAfterTheChangeCaptureIsRemoved() {
    activities.failing("validate", FailureTypes.VALIDATION_FAILED, 1);
    MigrationPlan p = TestPlans.routed("disposable", null, null);
    MigrationPlan plan = new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(),
        p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(),
        p.router(), true, null, null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    failure(workflow);

    List<String> calls = activities.calls;
    assertEquals(List.of("undoChangeCapture", "dropTargetObjects"), calls.subList(calls.size() - 2, calls.size()));
  }

  @Test
  void blockersStopTheRunBeforeAnythingChanges() {
    activities.findings = List.of(new Finding(Severity.BLOCKER, "wal_level", "source",
        "wal_level is replica; set wal_level = logical and restart"));
    MigrationPlan plan = TestPlans.routed("blocked", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = failure(workflow);

    assertTrue(failure.getOriginalMessage().contains("wal_level is replica"), failure.getOriginalMessage());
    assertEquals(List.of("assess"), activities.calls);
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
  void anAbortWhileWaitingForApprovalUndoesEverything() {
    MigrationPlan plan = TestPlans.routed("abort-waiting", new ApprovalPolicy(List.of(), 1, false, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));

    workflow.abort(new OperatorRequest("dave", "shop campaign moved to this weekend"));
    ApplicationFailure failure = failure(workflow);

    assertEquals("MigrationAborted", failure.getType());
    MigrationReport report = failure.getDetails().get(MigrationReport.class);
    assertEquals("ABORTED", report.outcome());
    assertEquals(Phase.SWITCHOVER, report.failedIn());
    assertTrue(report.error().contains("aborted by dave: shop campaign moved"), report.error());
    assertEquals("undoChangeCapture", activities.calls.get(activities.calls.size() - 1));
    assertFalse(activities.calls.contains("switchover"));
    assertTrue(report.decisions().stream().anyMatch(d -> d.action().equals("abort") && d.accepted()));
  }

  @Test
  void anAbortDuringTheCopyStopsTheCopyBeforeUndoing() {
    activities.holding("copyTable");
    MigrationPlan plan = TestPlans.routed("abort-copy", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.phase() == Phase.MIGRATE && activities.calls.contains("copyTable"));

    workflow.abort(new OperatorRequest("dave", null));
    ApplicationFailure failure = failure(workflow);

    assertEquals("MigrationAborted", failure.getType());
    assertEquals(Phase.MIGRATE, failure.getDetails().get(MigrationReport.class).failedIn());
    assertEquals("undoChangeCapture", activities.calls.get(activities.calls.size() - 1));
    assertFalse(activities.calls.contains("finishTargetSchema"));
  }

  @Test
  void pauseStopsTheCopyAndResumeFinishesIt() {
    activities.holding("copyTable");
    MigrationPlan plan = TestPlans.routed("pause-copy", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.phase() == Phase.MIGRATE && activities.calls.contains("copyTable"));

    workflow.pause(new OperatorRequest("erin", "peak traffic"));
    MigrationStatus paused = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("paused"));
    assertTrue(paused.paused());
    activities.release("copyTable");
    workflow.resume(new OperatorRequest("erin", "traffic is down"));

    MigrationReport report = result(workflow);
    assertEquals("COMPLETED", report.outcome());
    assertEquals(3, report.copies().size(), "every table copied once after the resume");
    assertTrue(report.decisions().stream().map(Decision::action).toList().containsAll(List.of("pause", "resume")));
  }

  @Test
  void aRollbackDuringRecoveryMovesWritesBackAndEndsRolledBack() {
    MigrationPlan plan = TestPlans.routed("roll-back", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.phase() == Phase.RECOVERY);

    WorkflowUpdateException anonymous = assertThrows(WorkflowUpdateException.class,
        () -> workflow.rollbackUpdate(new OperatorRequest(null, "no name")));
    assertTrue(anonymous.getCause().getMessage().contains("name who asks"), anonymous.getCause().getMessage());
    Decision decision = workflow.rollbackUpdate(new OperatorRequest("frank", "checkout errors on the new server"));
    assertTrue(decision.accepted());

    MigrationReport report = result(workflow);
    assertEquals("ROLLED_BACK", report.outcome());
    assertEquals(310, report.rollback().writePauseMillis());
    assertEquals("source", workflow.status().primary());
    List<String> calls = activities.calls;
    assertEquals(List.of("rollback", "decommission"), calls.subList(calls.size() - 2, calls.size()));
    assertTrue(activities.notifications.stream().anyMatch(n -> n.event().equals("rollback")));

    // The steps that freeze writes heartbeat with a short timeout, so a dead worker's freeze moves
    // to another worker in seconds; so does validation, which would otherwise wait out its 6 h
    // limit after its worker died; the others run without one.
    Map<String, Duration> heartbeatTimeouts = new LinkedHashMap<>();
    for (HistoryEvent e : env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList()) {
      if (!e.hasActivityTaskScheduledEventAttributes()) continue;
      var scheduled = e.getActivityTaskScheduledEventAttributes();
      heartbeatTimeouts.put(scheduled.getActivityType().getName(),
          Duration.ofSeconds(scheduled.getHeartbeatTimeout().getSeconds()));
    }
    assertEquals(Duration.ofSeconds(10), heartbeatTimeouts.get("Switchover"), heartbeatTimeouts.toString());
    assertEquals(Duration.ofSeconds(10), heartbeatTimeouts.get("Rollback"), heartbeatTimeouts.toString());
    assertEquals(MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT, heartbeatTimeouts.get("Validate"),
        heartbeatTimeouts.toString());
    assertEquals(Duration.ofSeconds(20), MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT);
    assertEquals(Duration.ZERO, heartbeatTimeouts.get("Verify"), heartbeatTimeouts.toString());
  }

  @Test
  void rollbackIsRefusedBeforeTheSwitchover() {
    MigrationPlan plan = TestPlans.routed("early-rollback", new ApprovalPolicy(List.of(), 1, false, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"));

    WorkflowUpdateException refused = assertThrows(WorkflowUpdateException.class,
        () -> workflow.rollbackUpdate(new OperatorRequest("frank", "oops")));
    assertTrue(refused.getCause().getMessage().contains("send 'abort' instead"), refused.getCause().getMessage());
    workflow.abort(new OperatorRequest("frank", "clean up"));
    failure(workflow);
  }

  @Test
  void withTheManualRouterTheWorkflowWaitsForTheConnectionSwitch() {
    MigrationPlan plan = TestPlans.manual("manual-switch");
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus waiting = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("connectionSwitched"));
    assertEquals("target", waiting.primary());
    assertFalse(activities.calls.contains("verify"));

    workflow.connectionSwitched(new OperatorRequest("gina", "deployed the new DATABASE_URL"));
    assertEquals("COMPLETED", result(workflow).outcome());
  }

  @Test
  void theRetentionWindowCanBeExtended() {
    MigrationPlan plan = TestPlans.routed("extend", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.phase() == Phase.RECOVERY);

    workflow.extendRetention(new RetentionExtension("hank", "24h", "audit wants a day more"));
    MigrationReport report = result(workflow);

    long recovery = report.phases().stream().filter(t -> t.phase() == Phase.RECOVERY).findFirst().orElseThrow().millis();
    assertTrue(recovery >= Duration.ofHours(72).toMillis(), "kept 48h + 24h: " + recovery);
  }

  @Test
  void aLostSnapshotStartsTheCopyOverFromANewOne() {
    activities.failing("copyTable", FailureTypes.SNAPSHOT_LOST, 1);
    MigrationPlan plan = TestPlans.routed("snapshot-lost", null, null);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    int reset = activities.calls.indexOf("resetCopy");
    assertTrue(reset > 0, activities.calls.toString());
    assertEquals("startChangeCapture", activities.calls.get(reset + 1));
    assertEquals(3, report.copies().size(), "every table copied once under the new snapshot");
  }

  @Test
  void copiesGoToTheSharedQueueWithoutEagerDispatch() {
    MigrationPlan plan = TestPlans.routed("shared-copies", null, null);
    MigrationWorkflow workflow = startWorkers(plan);

    assertEquals("COMPLETED", workflow.run(plan).outcome());

    List<HistoryEvent> copies = env.getWorkflowClient().fetchHistory(plan.workflowId()).getEvents().stream()
        .filter(HistoryEvent::hasActivityTaskScheduledEventAttributes)
        .filter(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals("CopyTable"))
        .toList();
    assertEquals(3, copies.size());
    for (HistoryEvent copy : copies) {
      // Every worker polls the shared queue, so every worker takes a share of the copy.
      assertEquals(QUEUE, copy.getActivityTaskScheduledEventAttributes().getTaskQueue().getName());
    }
  }

  @Test
  void aSwitchoverWhoseLagDoesNotDrainIsRetriedAfterAPause() {
    activities.failing("switchover", FailureTypes.LAG_NOT_DRAINED, 1);
    MigrationPlan plan = TestPlans.routed("lag-retry", null, null);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(2, activities.calls.stream().filter("switchover"::equals).count());
    assertFalse(activities.calls.contains("undoChangeCapture"));
    assertTrue(report.decisions().stream().anyMatch(d -> d.action().equals("switchover") && !d.accepted()));
  }

  @Test
  void theStatusQueryWorksAfterTheRunEnded() {
    MigrationPlan plan = TestPlans.routed("finished", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    workflow.run(plan);

    MigrationStatus status = workflow.status();
    assertEquals(Phase.COMPLETED, status.phase());
    assertEquals("target", status.primary());
    assertEquals(420L, status.writeFreezeMillis());
  }

  @Test
  void tenThousandSmallTablesAreCopiedInBatchesAndTheHistoryStaysFarBelowTemporalsLimits() {
    activities.schema = ScriptedActivities.manySmallTables(10_000);
    MigrationPlan plan = TestPlans.routed("many-tables", null, null);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertEquals(0, activities.calls.stream().filter("copyTable"::equals).count());
    assertEquals(50, activities.calls.stream().filter("copyTables"::equals).count());
    assertEquals(10_000, report.copyTotals().tables());
    assertEquals(50, report.copyTotals().activities());
    assertEquals(10_000L * 10, report.copyTotals().rows());
    assertEquals(CopyTally.LISTED, report.copies().size());
    assertEquals(10_000, report.assessment().tableCount());
    assertEquals(10_000, report.assessment().allTables().size());
    assertEquals(10_000, report.validation().tableCount());

    List<HistoryEvent> events = env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsList();
    long largestEvent = events.stream().mapToLong(HistoryEvent::getSerializedSize).max().orElseThrow();
    long historyBytes = events.stream().mapToLong(HistoryEvent::getSerializedSize).sum();
    System.out.printf("10,000 scripted tables: %d events, %d bytes of history, largest event %d bytes%n",
        events.size(), historyBytes, largestEvent);
    assertTrue(events.size() < 1_000, "events: " + events.size());
    assertTrue(largestEvent < 1_000_000, "largest event: " + largestEvent + " bytes");
    assertTrue(historyBytes < 5_000_000, "history: " + historyBytes + " bytes");
    MigrationStatus status = workflow.status();
    assertEquals(10_000, status.tablesCopied());
    assertTrue(DefaultDataConverter.STANDARD_INSTANCE.toPayload(status).orElseThrow().getSerializedSize() < 100_000);
  }

  @Test
  void aLargeTableIsCopiedInSlicesThatCountAsOneTableEvenWhenOneIsRetried() {
    long bytes = 10 * TableSlicing.SLICE_BYTES;
    activities.schema = List.of(
        new TableInfo("public", "huge", bytes, 40_000_000, true, "default", false),
        new TableInfo("public", "small", 16_384, 10, true, "default", false));
    MigrationPlan plan = TestPlans.routed("sliced", null, null);
    int slices = TableSlicing.slices(activities.schema.get(0), plan.withDefaults().copyParallelism());
    MigrationWorkflow workflow = startWorkers(plan);
    activities.failRetryably("copyTableSlice", 1);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertTrue(slices > 1, "slices: " + slices);
    assertEquals(slices + 1, activities.calls.stream().filter("copyTableSlice"::equals).count());
    assertEquals(1, activities.calls.stream().filter("copyTable"::equals).count());
    assertEquals(2, report.copyTotals().tables());
    assertEquals(slices + 1, report.copyTotals().activities());
    TableCopyResult huge = report.copies().stream().filter(c -> c.table().equals("public.huge")).findFirst().orElseThrow();
    assertEquals(slices * (bytes / slices), huge.bytes());
    assertEquals(slices, huge.chunks());
  }

  @Test
  void aSchemaOfAHundredTablesStillCopiesEachTableOnItsOwn() {
    activities.schema = ScriptedActivities.manySmallTables(CopyBatching.PER_TABLE_UP_TO);
    MigrationPlan plan = TestPlans.routed("hundred-tables", null, null);
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationReport report = workflow.run(plan);

    assertEquals(CopyBatching.PER_TABLE_UP_TO, activities.calls.stream().filter("copyTable"::equals).count());
    assertFalse(activities.calls.contains("copyTables"));
    assertEquals(CopyBatching.PER_TABLE_UP_TO, report.copies().size());
  }

  @Test
  void aBatchThatFailsOnceIsRetriedAndEveryTableIsCountedOnce() {
    activities.schema = ScriptedActivities.manySmallTables(1_000);
    MigrationPlan plan = TestPlans.routed("batch-retry", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    activities.failRetryably("copyTables", 1);

    MigrationReport report = workflow.run(plan);

    assertEquals("COMPLETED", report.outcome());
    long batches = CopyBatching.batches(ScriptedActivities.manySmallTables(1_000), plan.withDefaults().copyParallelism()).size();
    assertEquals(batches + 1, activities.calls.stream().filter("copyTables"::equals).count());
    assertEquals(1_000, report.copyTotals().tables());
  }

  @Test
  void tenThousandBlockersFailTheAssessmentWithABoundedMessage() {
    activities.schema = ScriptedActivities.manySmallTables(10_000);
    activities.findings = activities.schema.stream()
        .map(t -> new Finding(Severity.BLOCKER, "table_exists_on_target", t.qualifiedName(), t.qualifiedName() + " exists"))
        .toList();
    MigrationPlan plan = TestPlans.routed("many-blockers", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failure = failure(workflow);

    assertTrue(failure.getOriginalMessage().contains("and 9980 more"), failure.getOriginalMessage());
    assertTrue(failure.getOriginalMessage().length() < 5_000);
  }

  // ---- client access: the switchover waits while the target would refuse a client the source has seen ----

  static final String EPOCH = Instant.EPOCH.toString();
  static final String ACCESS_GAP = "no pg_hba rule on the target admits app@shop from 10.0.0.7 (billing, no TLS);"
      + " add to the target's pg_hba.conf: host shop app 10.0.0.7/32 scram-sha-256 and reload it";

  @Test
  void missingAccessHoldsTheSwitchoverWithTheChangeToMakeAndTheApproverSeesIt() {
    ClientSeen billing = new ClientSeen("app", "shop", "10.0.0.7", "billing", false, EPOCH, EPOCH,
        3, 2);
    activities.clientAccess = new ClientAccess(List.of(new ClientAdmission(billing, false, false, ACCESS_GAP)),
        0, List.of(ACCESS_GAP), 0, EPOCH);
    MigrationPlan plan = TestPlans.routed("access-gate", new ApprovalPolicy(List.of("bob"), 1, false, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);

    MigrationStatus held = awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("client access"));
    assertEquals(Phase.SWITCHOVER, held.phase());
    assertTrue(held.waitingFor().contains("host shop app 10.0.0.7/32 scram-sha-256"), held.waitingFor());
    assertNotNull(held.clientAccess());
    assertEquals("billing", held.clientAccess().clients().get(0).client().applicationName());
    // An approval given meanwhile stands; the switchover still waits for the target.
    workflow.approveUpdate(new Approval("bob", "fine once the rule is in", null));
    env.sleep(Duration.ofMinutes(10));
    assertFalse(activities.calls.contains("switchover"));
    int checks = activities.accessChecks.get();
    assertTrue(checks >= 3, "checked again while waiting: " + checks);

    activities.clientAccess = new ClientAccess(List.of(new ClientAdmission(billing, true, false,
        "admitted by pg_hba.conf line 4 (host shop app 10.0.0.7/255.255.255.255 scram-sha-256)")), 0, List.of(), 0,
        EPOCH);
    MigrationReport report = result(workflow);
    assertEquals("COMPLETED", report.outcome());
    assertFalse(report.clientAccess().blocked());
    assertTrue(report.clientAccess().summary().startsWith("1 client(s) seen on the source, all admitted"));
  }

  @Test
  void daysOfMissingAccessKeepTheHistoryFarBelowTemporalsLimit() {
    activities.clientAccess = new ClientAccess(List.of(), 0, List.of(ACCESS_GAP), 0, EPOCH);
    MigrationPlan plan = TestPlans.routed("access-days", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("client access"));

    env.sleep(Duration.ofDays(7));
    int events = env.getWorkflowClient().fetchHistory(plan.workflowId()).getHistory().getEventsCount();
    // At most every 30 minutes: a local activity's marker, a timer and a workflow task (about 2,150 a week).
    assertTrue(events < 3_000, "a week of waiting for access made " + events + " history events");
    assertTrue(activities.accessChecks.get() > 7 * 24, "still checking: " + activities.accessChecks.get());
    assertFalse(activities.calls.contains("switchover"));
    workflow.abort(new OperatorRequest("ops", "test over"));
  }

  @Test
  void anOperatorRetiresAClientMidRunTheSwitchoverStopsWaitingForItAndTheApproverSeesItRetired() {
    ClientSeen billing = new ClientSeen("app", "shop", "10.0.0.7", "billing", false, EPOCH, EPOCH, 3, 2);
    activities.clientAccess = new ClientAccess(List.of(new ClientAdmission(billing, false, false, ACCESS_GAP)),
        0, List.of(ACCESS_GAP), 0, EPOCH);
    MigrationPlan plan = TestPlans.routed("retire-mid-run", new ApprovalPolicy(List.of("bob"), 1, false, null, null), null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.waitingFor() != null && s.waitingFor().startsWith("client access"));
    workflow.approveUpdate(new Approval("bob", "go once access is settled", null));

    // A client the run has not seen, a missing reason, another database: refused, each saying why.
    WorkflowUpdateException unknown = assertThrows(WorkflowUpdateException.class, () -> workflow.retireClientUpdate(
        new ClientRetirement("carol", "reporting", null, null, null, "moves away")));
    assertTrue(unknown.getCause().getMessage().contains("retire-client refused: no client seen on the source so far"
        + " matches user reporting; seen: app from 10.0.0.7 (billing)"), unknown.getCause().getMessage());
    WorkflowUpdateException why = assertThrows(WorkflowUpdateException.class, () -> workflow.retireClientUpdate(
        new ClientRetirement("carol", "app", null, "10.0.0.7", null, " ")));
    assertTrue(why.getCause().getMessage().contains("say why"), why.getCause().getMessage());
    WorkflowUpdateException otherDb = assertThrows(WorkflowUpdateException.class, () -> workflow.retireClientUpdate(
        new ClientRetirement("carol", "app", "crm", null, null, "moves away")));
    assertTrue(otherDb.getCause().getMessage().contains("moves database shop, not crm"), otherDb.getCause().getMessage());
    assertFalse(activities.calls.contains("switchover"));

    Decision retired = workflow.retireClientUpdate(new ClientRetirement("carol", null, "shop", "10.0.0.0/24", "billing",
        "billing moves to the new platform next month"));
    assertTrue(retired.accepted());
    assertEquals("carol", retired.by());

    MigrationReport report = result(workflow);
    assertEquals("COMPLETED", report.outcome());
    RetiredClient sent = activities.lastAccessPlan.retiredClientsOrNone().get(0);
    assertEquals("10.0.0.0/24", sent.address());
    assertTrue(sent.reason().startsWith("by carol at ") && sent.reason().endsWith("billing moves to the new platform next month"),
        sent.reason());
    ClientAdmission seen = report.clientAccess().clients().get(0);
    assertTrue(seen.retired() && seen.admitted(), seen.toString());
    assertTrue(report.clientAccess().summary().contains("1 retired"), report.clientAccess().summary());
    // The audit trail holds the refusals and the retirement, with who and why.
    List<Decision> trail = report.decisions().stream().filter(d -> d.action().equals("retire-client")).toList();
    assertEquals(List.of(false, false, false, true), trail.stream().map(Decision::accepted).toList());
    assertEquals("billing moves to the new platform next month", trail.get(3).comment());
  }

  @Test
  void retiringAClientAfterTheSwitchoverIsRefusedAndRecorded() {
    ClientSeen billing = new ClientSeen("app", "shop", "10.0.0.7", "billing", true, EPOCH, EPOCH, 3, 2);
    activities.clientAccess = new ClientAccess(List.of(new ClientAdmission(billing, true, false, "admitted")),
        0, List.of(), 0, EPOCH);
    MigrationPlan plan = TestPlans.routed("retire-late", null, null);
    MigrationWorkflow workflow = startWorkers(plan);
    WorkflowClient.start(workflow::run, plan);
    awaitStatus(workflow, s -> s.phase() == Phase.RECOVERY);

    workflow.retireClient(new ClientRetirement("carol", "app", null, null, null, "too late"));
    MigrationStatus status = awaitStatus(workflow, s -> s.decisions().stream().anyMatch(d -> d.action().equals("retire-client")));
    Decision refused = status.decisions().stream().filter(d -> d.action().equals("retire-client")).findFirst().orElseThrow();
    assertFalse(refused.accepted());
    assertTrue(refused.reason().startsWith("the switchover has already started"), refused.reason());
    assertEquals("COMPLETED", result(workflow).outcome());
  }
}
