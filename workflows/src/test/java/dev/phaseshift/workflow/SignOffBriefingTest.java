package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.RunbookStep;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RehearsalRequirement;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the approver is given and held to at the sign-off wait: the rehearsal gate that refuses
 * sign-off while the latest rehearsal forecast a freeze above the plan's bound, and the runbook
 * with the plan's values and, in the report, what happened at each step.
 */
class SignOffBriefingTest {
  static final String QUEUE = "phaseshift-test";
  static final ApprovalPolicy REHEARSED_SIGN_OFF = new ApprovalPolicy(List.of("bob", "carol"), 1, false, null, null,
      new RehearsalRequirement(true, "7d"));

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
    return TestEnvironments.startedRun(env, QUEUE, activities, plan);
  }

  private MigrationStatus awaitStatus(MigrationWorkflow workflow, Predicate<MigrationStatus> condition) {
    return TestEnvironments.awaitStatus(env, workflow, condition);
  }

  private RehearsalRecord rehearsal(long freezeForecastMillis, Duration ago) {
    return new RehearsalRecord("rehearsal-gate-move-2026", Instant.ofEpochMilli(env.currentTimeMillis())
        .minus(ago).toString(), "REHEARSED", true,
        new RehearsalResult(60_000, 3_000_000, 2_000, 4_096, freezeForecastMillis, true));
  }

  @Test
  void signOffIsRefusedWhileTheLatestRehearsalForecastAFreezeAboveTheBoundAndCountsOnceAGoodOneExists() {
    MigrationPlan plan = TestPlans.routed("gate-move", REHEARSED_SIGN_OFF, null);
    activities.rehearsal = rehearsal(45_000, Duration.ofHours(3));
    MigrationWorkflow workflow = startWorkers(plan);

    MigrationStatus waiting = awaitStatus(workflow, s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
    // The approver sees why in status, before trying.
    assertTrue(waiting.waitingFor().contains("sign-off needs a good rehearsal")
        && waiting.waitingFor().contains("forecast a write freeze of 45000 ms, above cutover.maxFreeze (30s)"),
        waiting.waitingFor());
    WorkflowUpdateException refused = assertThrows(WorkflowUpdateException.class,
        () -> workflow.approveUpdate(new Approval("bob", "looks fine", null)));
    String why = refused.getCause().getMessage();
    assertTrue(why.contains("rehearsal-gate-move-2026") && why.contains("45000 ms") && why.contains("maxFreeze"), why);
    env.sleep(Duration.ofMinutes(2));
    assertFalse(activities.calls.contains("switchover"), "no switchover without a counted sign-off");

    // A new rehearsal within the bound is found with the next lag refresh (every 15 minutes at first).
    activities.rehearsal = rehearsal(4_000, Duration.ofMinutes(5));
    env.sleep(Duration.ofMinutes(16));
    Decision accepted = workflow.approveUpdate(new Approval("bob", "rehearsal within bound", null));
    assertTrue(accepted.accepted(), accepted.toString());
    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);

    assertEquals("COMPLETED", report.outcome());
    List<Decision> approvals = report.decisions().stream().filter(d -> d.action().equals("approve")).toList();
    assertEquals(List.of(false, true), approvals.stream().map(Decision::accepted).toList(), approvals.toString());
  }

  @Test
  void theRunbookCarriesThePlansValuesAtTheSignOffWaitAndTheReportWhatHappened() {
    MaintenanceWindow saturday = new MaintenanceWindow("0 2 * * SAT", "3h", null, null, "Europe/Berlin");
    ApprovalPolicy policy = new ApprovalPolicy(List.of("bob", "carol"), 2, false, "24h", "abort");
    MigrationPlan plan = TestPlans.routed("runbook-move", policy, List.of(saturday));
    activities.windows.add(new dev.phaseshift.model.WindowOpening(0, Long.MAX_VALUE));
    MigrationWorkflow workflow = startWorkers(plan);

    assertTrue(workflow.runbook().contains("published when the migration reaches the switchover's sign-off"),
        "nothing to show before the gate");
    awaitStatus(workflow, s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
    String runbook = workflow.runbook();
    for (String value : List.of("# Runbook: switchover of runbook-move", "2 approval(s) from bob, carol",
        "not the requester alice", "deadline 24h, then abort", "every `0 2 * * SAT` for 3h (Europe/Berlin)",
        "at most 30s", "lag below 1048576 bytes", "older than 5m", "the pooler's database shop",
        "for 48h after the switchover", "`phaseshift rollback runbook-move", "until the retention window ends, 48h")) {
      assertTrue(runbook.contains(value), "runbook lacks '" + value + "':\n" + runbook);
    }
    assertTrue(activities.notifications.get(0).event().equals("assessment")
        && activities.notifications.get(0).message().startsWith("# Assessment of runbook-move\n"),
        "the webhook receives the assessment report after PREPARE");
    assertTrue(activities.notifications.stream().anyMatch(n -> n.event().equals("approval-needed")
        && n.message().contains("# Runbook: switchover of runbook-move")), "the webhook receives the runbook");

    workflow.approve(new Approval("bob", "ok", null));
    workflow.approve(new Approval("carol", "ok", null));
    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);

    assertNotNull(report.briefing().workload(), "PREPARE's workload report is kept");
    assertEquals(1, activities.workloadSamples.get());
    List<RunbookStep> steps = report.briefing().runbook().steps();
    assertEquals(List.of(RunbookWriter.SIGN_OFF, RunbookWriter.WINDOW, RunbookWriter.CHECKS, RunbookWriter.FREEZE,
        RunbookWriter.ROUTER, RunbookWriter.VERIFY, RunbookWriter.RETENTION), steps.stream().map(RunbookStep::step).toList());
    for (RunbookStep step : steps) assertNotNull(step.actual(), "every step ran: " + step);
    assertTrue(steps.get(0).actual().startsWith("approved by bob at ") && steps.get(0).actual().contains(", carol at "),
        steps.get(0).actual());
    assertEquals(report.switchover().writeFreezeMillis() + " ms freeze (bound 30s), "
        + report.switchover().sequencesCopied() + " sequence(s) set ahead", steps.get(3).actual());
    assertTrue(steps.get(5).actual().startsWith("passed"), steps.get(5).actual());
    assertEquals("retention ended; old database released", steps.get(6).actual());
  }

  @Test
  void aRehearsalThatIsTooOldFailedOrMissingIsRefusedWithWhatToDo() {
    MigrationPlan plan = TestPlans.routed("gate-move", REHEARSED_SIGN_OFF, null).withDefaults();
    long now = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();
    RehearsalResult quick = new RehearsalResult(60_000, 3_000_000, 2_000, 4_096, 2_000, true);

    assertTrue(RehearsalGate.refusal(plan, null, now).startsWith("no rehearsal of gate-move has finished"));
    String old = RehearsalGate.refusal(plan, new RehearsalRecord("r1", "2026-11-12T12:00:00Z", "REHEARSED", true, quick), now);
    assertTrue(old.contains("older than approval.rehearsal.maxAge (7d)"), old);
    String failed = RehearsalGate.refusal(plan, new RehearsalRecord("r2", "2026-11-20T10:00:00Z", "FAILED", false, null), now);
    assertTrue(failed.contains("ended FAILED without passing validation"), failed);
    assertNull(RehearsalGate.refusal(plan, new RehearsalRecord("r3", "2026-11-20T10:00:00Z", "REHEARSED", true, quick), now));
  }

  @Test
  void theWebUiDetailsShowTheGateTheRunbookAndTheAssessmentAtTheSignOffWait() {
    MigrationState state = new MigrationState();
    state.plan = TestPlans.routed("shop", REHEARSED_SIGN_OFF, null).withDefaults();
    state.phase = Phase.SWITCHOVER;
    state.assessment = new ScriptedActivities().assess(state.plan);
    state.workload = new ScriptedActivities().assessWorkload(state.plan, 0);
    state.rehearsalGate = new RehearsalGate.Check(null, "no rehearsal of shop has finished", "2026-11-27T05:00:00Z");
    state.runbook = RunbookWriter.write(state, "2026-11-27T05:00:00Z");

    String md = StatusDetails.markdown(state);

    assertTrue(md.contains("**Rehearsal gate:** sign-off refused: no rehearsal of shop has finished"), md);
    assertTrue(md.contains("# Runbook: switchover of shop") && md.contains("| 4 | Write freeze and hand-over | writes"
        + " frozen on the source for at most 30s (the assessment forecast 5000 ms)"), md);
    assertTrue(md.contains("# Assessment of shop") && md.contains("| public.orders | 4 | 40 | 10 | 2 | 1 |"), md);
    state.phase = Phase.VERIFY;
    assertFalse(StatusDetails.markdown(state).contains("# Runbook"), "after the switchover the details are the status");
  }
}
