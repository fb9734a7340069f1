package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verification window's logic on Temporal's time-skipping test server with scripted samples:
 * a 15-minute window passes, a regression rolls back by itself after the plan's failed samples,
 * notify-only mode keeps writes on the target, and the window never outlasts the retention window.
 */
class VerificationWindowWorkflowTest {
  static final String QUEUE = "phaseshift-test";

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

  private MigrationReport run(MigrationPlan plan) {
    TestEnvironments.workers(env, QUEUE, activities);
    env.start();
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build()).run(plan);
  }

  private long samples() {
    return activities.calls.stream().filter("verificationSample"::equals).count();
  }

  private static long millisIn(MigrationReport report, Phase phase) {
    return report.phases().stream().filter(t -> t.phase() == phase).mapToLong(PhaseTiming::millis).sum();
  }

  @Test
  void aHealthyFifteenMinuteWindowPassesAndThenRecoveryBegins() {
    MigrationReport report = run(TestPlans.routed("healthy", null, null));

    assertEquals("COMPLETED", report.outcome());
    assertEquals("passed", report.verification().state());
    assertEquals(30, report.verification().samples(), "one sample every 30 s for 15 minutes");
    assertEquals(0, report.verification().failedSamples());
    assertTrue(millisIn(report, Phase.VERIFY) >= Duration.ofMinutes(15).toMillis(), report.phases().toString());
    assertTrue(report.verification().signals().stream().anyMatch(s -> s.startsWith("latency: 2.500 ms (source 2.500 ms, 400 calls)")),
        report.verification().signals().toString());
    assertTrue(activities.notifications.stream().map(Notification::message)
        .anyMatch(m -> m.startsWith("verification window passed")));
  }

  @Test
  void aRegressionRollsBackByItselfAfterTwoFailedSamplesInARow() {
    activities.regressFromSample = 3;
    MigrationReport report = run(TestPlans.routed("regressed", null, null));

    assertEquals("ROLLED_BACK", report.outcome());
    assertTrue(activities.calls.contains("rollback"), activities.calls.toString());
    // Samples 3 and 4 are 5x slower than the source: the second failed one in a row fails the window.
    assertEquals(1 + 4, samples(), "the first reading and four samples, none after the window failed");
    assertEquals("failed: rolling back", report.verification().state());
    assertEquals(2, report.verification().failedSamples());
    assertTrue(report.verification().failures().get(0).contains("5.0x, allowed 2.0x"),
        report.verification().failures().toString());
    Decision rollback = report.decisions().get(report.decisions().size() - 1);
    assertEquals("rollback", rollback.action());
    assertEquals("workflow", rollback.by());
    assertTrue(rollback.reason().startsWith("automatic rollback: verification window failed: latency"), rollback.reason());
    assertTrue(millisIn(report, Phase.VERIFY) < Duration.ofMinutes(3).toMillis(), "rolled back at once");
  }

  @Test
  void notifyOnlyModeReportsTheFailureAndKeepsWritesOnTheTarget() {
    activities.regressFromSample = 1;
    MigrationPlan plan = TestPlans.routed("notify-only", null, null).withVerification(
        new VerificationPolicy("15m", "30s", "notify", null, null, null, null, null, null, null, null, null));
    MigrationReport report = run(plan);

    assertEquals("COMPLETED", report.outcome());
    assertFalse(activities.calls.contains("rollback"), activities.calls.toString());
    assertEquals("failed: notified", report.verification().state());
    assertEquals(30, report.verification().samples(), "the window is watched to its end");
    assertEquals(30, report.verification().failedSamples());
    assertEquals(1, activities.notifications.stream().map(Notification::message)
        .filter(m -> m.startsWith("verification window failed")).count(), "notified once");
  }

  @Test
  void theWindowEndsWithTheRetentionWindow() {
    MigrationPlan routed = TestPlans.routed("short-retention", null, null);
    MigrationPlan plan = new MigrationPlan(routed.name(), routed.source(), routed.target(), routed.tables(),
        routed.copyParallelism(), routed.cutover(), routed.approvalRequired(), "5m", routed.requestedBy(),
        routed.approval(), routed.maintenanceWindows(), routed.router(), null, null, null, routed.webhookUrl());
    MigrationReport report = run(plan);

    assertEquals("passed", report.verification().state());
    assertEquals(10, report.verification().samples(), "5 minutes, not 15: nothing can roll back after retention");
  }

  @Test
  void aWindowOfZeroWatchesNothing() {
    MigrationReport report = run(TestPlans.routed("no-window", null, null).withVerification(VerificationPolicy.off()));

    assertEquals("COMPLETED", report.outcome());
    assertEquals(null, report.verification());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("verification")), activities.calls.toString());
  }
}
