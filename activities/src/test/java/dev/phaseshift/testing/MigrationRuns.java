package dev.phaseshift.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Migrations run by the real worker registration on Temporal's in-process test server (real time,
 * since the steps talk to real databases): starting one, waiting for a status, reading how it ended.
 */
public final class MigrationRuns {
  private MigrationRuns() {}

  /** A started test server with the migration's search attributes and Phaseshift's workers. */
  public static TestWorkflowEnvironment environment() {
    return environment(false);
  }

  /**
   * @param seedingHost whether this process also plays the target host's worker of physically
   *                    seeded plans (their default seeding queue)
   */
  public static TestWorkflowEnvironment environment(boolean seedingHost) {
    TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    for (String name : MigrationSearchAttributes.NAMES) {
      env.registerSearchAttribute(name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    PhaseshiftWorkers.register(env.getWorkerFactory(), TaskQueues.MIGRATIONS);
    if (seedingHost) PhaseshiftWorkers.registerSeeding(env.getWorkerFactory(), TaskQueues.seeding(TaskQueues.MIGRATIONS));
    env.start();
    return env;
  }

  public static MigrationWorkflow start(TestWorkflowEnvironment env, MigrationPlan plan) {
    MigrationWorkflow workflow = env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.MIGRATIONS).setWorkflowId(plan.workflowId()).build());
    // The workload sample (assessment.sample, 60s by default) would add a minute to every test run;
    // a plan that sets its own sample keeps it.
    WorkflowClient.start(workflow::run, plan.assessment() == null ? plan.withAssessmentSample("0s") : plan);
    return workflow;
  }

  public static MigrationStatus awaitStatus(MigrationWorkflow workflow, Duration timeout,
      Predicate<MigrationStatus> condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      MigrationStatus status = workflow.status();
      if (condition.test(status)) return status;
      Thread.sleep(100);
    }
    throw new AssertionError("status never matched: " + workflow.status());
  }

  /** The report of a run that ended in failure of {@code type} (MigrationFailed, MigrationAborted). */
  public static MigrationReport stoppedReport(MigrationWorkflow workflow, String type) {
    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class));
    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals(type, failure.getType(), failure.getOriginalMessage());
    return failure.getDetails().get(MigrationReport.class);
  }
}
