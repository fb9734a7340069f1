package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.DatabaseIdentity;
import dev.phaseshift.model.LeaseHolder;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The run's holds outside itself: the databases are claimed in PREPARE before anything changes, a
 * refused claim fails the run there with the holder's name, and every end of the run (completed,
 * aborted, failed) gives the databases back and pauses the drift check, after the undo. The lease
 * workflow itself holds until its holder releases it, and ignores anyone else's release.
 */
class ExternalHoldsWorkflowTest {
  private static final String QUEUE = "holds";
  TestWorkflowEnvironment env;
  ScriptedActivities activities;

  @BeforeEach
  void start() {
    env = TestEnvironments.withSearchAttributes();
    activities = new ScriptedActivities();
    TestEnvironments.workers(env, QUEUE, activities).registerWorkflowImplementationTypes(DatabaseLeaseWorkflowImpl.class);
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private MigrationWorkflow stub(MigrationPlan plan) {
    return env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(plan.workflowId()).build());
  }

  private static ApplicationFailure failure(MigrationWorkflow workflow) {
    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class));
    return assertInstanceOf(ApplicationFailure.class, failed.getCause());
  }

  @Test
  void aCompletedMigrationClaimsFirstAndReleasesAndPausesItsDriftCheckLast() {
    MigrationPlan plan = TestPlans.routed("holds-completed", null, null);
    stub(plan).run(plan);

    assertEquals("assess", activities.calls.get(0), "the claim comes after the read-only assessment");
    assertEquals(List.of("claim", "release",
        "pauseDriftCheck: migration holds-completed ended (COMPLETED): no stream is left to compare through"),
        activities.leaseCalls);
  }

  @Test
  void aRefusedClaimFailsPrepareNamingTheHolderAndChangesNothing() {
    activities.claimRefusal = "the source database old-db:5432/shop is in use by migration other";
    MigrationPlan plan = TestPlans.routed("holds-refused", null, null);
    MigrationWorkflow workflow = stub(plan);
    WorkflowClient.start(workflow::run, plan);

    ApplicationFailure failed = failure(workflow);
    MigrationReport report = failed.getDetails().get(MigrationReport.class);
    assertEquals(Phase.PREPARE, report.failedIn());
    assertTrue(report.error().contains("in use by migration other"), report.error());
    assertEquals(List.of("assess"), activities.calls, "nothing after the refused claim");
    assertEquals(List.of("claim"), activities.leaseCalls, "nothing to give back: nothing was claimed");
  }

  @Test
  void anAbortedMigrationGivesItsDatabasesBackAfterTheUndo() {
    MigrationPlan plan = TestPlans.plan("holds-aborted", true);
    MigrationWorkflow workflow = stub(plan);
    WorkflowClient.start(workflow::run, plan);
    for (int i = 0; i < 200 && workflow.status().phase() != Phase.SWITCHOVER; i++) env.sleep(Duration.ofSeconds(1));
    workflow.abort(new OperatorRequest("alice", "not now"));

    assertEquals("MigrationAborted", failure(workflow).getType());
    assertEquals("undoChangeCapture", activities.calls.get(activities.calls.size() - 1));
    assertEquals(List.of("claim", "release",
        "pauseDriftCheck: migration holds-aborted ended (ABORTED): no stream is left to compare through"),
        activities.leaseCalls);
  }

  @Test
  void aLeaseHoldsUntilItsHolderReleasesIt() {
    DatabaseIdentity db = ScriptedActivities.DATABASES.source();
    DatabaseLeaseWorkflow lease = env.getWorkflowClient().newWorkflowStub(DatabaseLeaseWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(db.leaseId()).build());
    WorkflowClient.start(lease::hold, new LeaseHolder("migration-a", "a", "source", db.toString()));
    assertEquals("migration-a", lease.holder().workflowId());

    lease.release("migration-b");
    env.sleep(Duration.ofSeconds(1));
    assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        WorkflowStub.fromTyped(lease).describe().getStatus(), "someone else's release is ignored");

    lease.release("migration-a");
    WorkflowStub.fromTyped(lease).getResult(Void.class);
    assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        WorkflowStub.fromTyped(lease).describe().getStatus());
    long events = env.getWorkflowClient().fetchHistory(db.leaseId()).getHistory().getEventsCount();
    assertTrue(events < 20, "a lease's history stays a few events long: " + events);
  }
}
