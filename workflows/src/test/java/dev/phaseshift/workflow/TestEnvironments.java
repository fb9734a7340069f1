package dev.phaseshift.workflow;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.testing.TestWorkflowEnvironment;

/** Temporal's time-skipping test server with the migration's search attributes registered, as a real server has them. */
final class TestEnvironments {
  private TestEnvironments() {}

  static TestWorkflowEnvironment withSearchAttributes() {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    for (String name : MigrationSearchAttributes.NAMES) {
      env.registerSearchAttribute(name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    return env;
  }

  /** Registers the migration workflow and {@code activities} on {@code queue}, starts the server and the run of {@code plan}. */
  static MigrationWorkflow startedRun(TestWorkflowEnvironment env, String queue, MigrationActivities activities,
      dev.phaseshift.plan.MigrationPlan plan) {
    workers(env, queue, activities);
    env.start();
    MigrationWorkflow workflow = env.getWorkflowClient().newWorkflowStub(MigrationWorkflow.class,
        io.temporal.client.WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId(plan.workflowId()).build());
    io.temporal.client.WorkflowClient.start(workflow::run, plan);
    return workflow;
  }

  /**
   * The migration's workers as a real worker process has them: the workflow and its steps on
   * {@code queue}, the snapshot replica step on its own queue (a run whose replica nobody takes
   * would keep the test server from skipping time).
   */
  static io.temporal.worker.Worker workers(TestWorkflowEnvironment env, String queue, MigrationActivities activities) {
    io.temporal.worker.Worker worker = env.newWorker(queue);
    worker.registerWorkflowImplementationTypes(MigrationWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    env.newWorker(TaskQueues.snapshotReplicas(queue)).registerActivitiesImplementations(activities);
    return worker;
  }

  /** Worker options as the real workers have them: heartbeats (and so cancellations) reach the server within a second. */
  static io.temporal.worker.WorkerOptions promptHeartbeats() {
    return io.temporal.worker.WorkerOptions.newBuilder()
        .setDefaultHeartbeatThrottleInterval(java.time.Duration.ofMillis(200))
        .setMaxHeartbeatThrottleInterval(java.time.Duration.ofSeconds(1))
        .build();
  }

  /** The failure a run ended with (the test fails if it did not fail). */
  static io.temporal.failure.ApplicationFailure failure(MigrationWorkflow workflow) {
    io.temporal.client.WorkflowFailedException failed = org.junit.jupiter.api.Assertions.assertThrows(
        io.temporal.client.WorkflowFailedException.class,
        () -> io.temporal.client.WorkflowStub.fromTyped(workflow).getResult(dev.phaseshift.model.MigrationReport.class));
    return org.junit.jupiter.api.Assertions.assertInstanceOf(io.temporal.failure.ApplicationFailure.class,
        failed.getCause());
  }

  /** Advances the test server's time a second at a time until the run's status satisfies {@code condition}. */
  static dev.phaseshift.model.MigrationStatus awaitStatus(TestWorkflowEnvironment env, MigrationWorkflow workflow,
      java.util.function.Predicate<dev.phaseshift.model.MigrationStatus> condition) {
    for (int i = 0; i < 400; i++) {
      dev.phaseshift.model.MigrationStatus status = workflow.status();
      if (condition.test(status)) return status;
      env.sleep(java.time.Duration.ofSeconds(1));
    }
    throw new AssertionError("status never matched: " + workflow.status());
  }
}
