package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.ClientAdmission;
import dev.phaseshift.model.ClientSeen;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The switchover waits while the target would refuse a client the source has seen, and the approver sees why. */
class ClientAccessGateTest {
  static final String QUEUE = "phaseshift-access";
  static final String LINE = "no pg_hba rule on the target admits app@shop from 10.0.0.7 (billing, no TLS);"
      + " add to the target's pg_hba.conf: host shop app 10.0.0.7/32 scram-sha-256 and reload it";

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

  @Test
  void missingAccessHoldsTheSwitchoverWithTheChangeToMakeAndTheApproverSeesIt() {
    ClientSeen billing = new ClientSeen("app", "shop", "10.0.0.7", "billing", false, Instant.EPOCH, Instant.EPOCH, 3, 2);
    activities.clientAccess = new ClientAccess(List.of(new ClientAdmission(billing, false, false, LINE)), 0,
        List.of(LINE), 0, Instant.EPOCH);
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
        Instant.EPOCH);
    MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);
    assertEquals("COMPLETED", report.outcome());
    assertFalse(report.clientAccess().blocked());
    assertTrue(report.clientAccess().summary().startsWith("1 client(s) seen on the source, all admitted"));
  }

  @Test
  void daysOfMissingAccessKeepTheHistoryFarBelowTemporalsLimit() {
    activities.clientAccess = new ClientAccess(List.of(), 0, List.of(LINE), 0, Instant.EPOCH);
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
    workflow.abort(new dev.phaseshift.model.OperatorRequest("ops", "test over"));
  }

  private MigrationWorkflow startWorkers(MigrationPlan plan) {
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    env.start();
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
  }

  private MigrationStatus awaitStatus(MigrationWorkflow workflow, Predicate<MigrationStatus> condition) {
    for (int i = 0; i < 400; i++) {
      MigrationStatus status = workflow.status();
      if (condition.test(status)) return status;
      env.sleep(Duration.ofSeconds(1));
    }
    throw new AssertionError("status never matched: " + workflow.status());
  }
}
