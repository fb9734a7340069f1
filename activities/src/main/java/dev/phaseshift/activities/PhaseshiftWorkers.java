package dev.phaseshift.activities;

import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.workflow.AssessmentWorkflowImpl;
import dev.phaseshift.workflow.DatabaseLeaseWorkflowImpl;
import dev.phaseshift.workflow.DriftCheckWorkflowImpl;
import dev.phaseshift.workflow.FleetActivitiesImpl;
import dev.phaseshift.workflow.FleetWorkflowImpl;
import dev.phaseshift.workflow.InputEraserWorkflowImpl;
import dev.phaseshift.workflow.InvalidPlanInput;
import dev.phaseshift.workflow.MigrationWorkflowImpl;
import dev.phaseshift.workflow.PlanDataConverter;
import dev.phaseshift.workflow.TaskQueues;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.List;

/**
 * Registers Phaseshift's workflow and activities on a worker factory, on one shared queue for
 * workflows and activities (table copies included, so every worker takes a share). Used by the
 * Spring worker and by the demo, so both run exactly the same code.
 */
public final class PhaseshiftWorkers {
  /**
   * Activities one worker runs at once unless configured otherwise. A table copy holds
   * {@code copyParallelism} sessions on each database, so this also bounds one worker's share of
   * a migration's copy; further copies wait on the queue for another worker.
   */
  public static final int DEFAULT_MAX_CONCURRENT_ACTIVITIES = 16;

  /** Replicas of copy snapshots one worker holds at once: one per migration copying at the time. */
  static final int SNAPSHOT_REPLICAS = 8;

  /** Seeding steps one target-host worker runs at once. */
  static final int SEEDINGS = 4;

  private PhaseshiftWorkers() {}

  /**
   * Serves physical seeding's steps on {@code seedingQueue} (a plan's {@code seeding.taskQueue},
   * by default {@code <task queue>-seeding}): only a worker on the target host, running as root or
   * as the owner of the new data directory's parent, may, since they run pg_basebackup and
   * pg_createsubscriber there. A few at once: each copies a whole cluster.
   */
  public static void registerSeeding(WorkerFactory factory, String seedingQueue) {
    factory.newWorker(seedingQueue, WorkerOptions.newBuilder()
            .setDefaultHeartbeatThrottleInterval(Duration.ofSeconds(2))
            .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(5))
            .setMaxConcurrentActivityExecutionSize(SEEDINGS)
            .build())
        .registerActivitiesImplementations(new SeedingActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine()))));
  }

  /** Without migration metrics, for callers that export none (the demo). */
  public static void register(WorkerFactory factory, String taskQueue) {
    register(factory, taskQueue, MigrationMetrics.none(), DEFAULT_MAX_CONCURRENT_ACTIVITIES);
  }

  public static void register(WorkerFactory factory, String taskQueue, MeterRegistry registry) {
    register(factory, taskQueue, registry, DEFAULT_MAX_CONCURRENT_ACTIVITIES);
  }

  public static void register(WorkerFactory factory, String taskQueue, MeterRegistry registry,
      int maxConcurrentActivities) {
    register(factory, taskQueue, new MigrationMetrics(registry), maxConcurrentActivities);
  }

  private static void register(WorkerFactory factory, String taskQueue, MigrationMetrics metrics,
      int maxConcurrentActivities) {
    if (maxConcurrentActivities < 1) {
      throw new IllegalArgumentException("the worker's maximum of concurrent activities must be at least 1, got "
          + maxConcurrentActivities + "; set phaseshift.max-concurrent-activities"
          + " (PHASESHIFT_MAX_CONCURRENT_ACTIVITIES) to a positive number");
    }
    MigrationActivitiesImpl activities = new MigrationActivitiesImpl(
        new EngineRegistry(List.of(new PostgresEngine())), metrics, factory.getWorkflowClient());
    // Heartbeats carry the copy progress operators watch; Temporal's default throttling would
    // only pass them on every 30-60 seconds.
    WorkerOptions options = WorkerOptions.newBuilder()
        .setDefaultHeartbeatThrottleInterval(Duration.ofSeconds(2))
        .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(5))
        .setMaxConcurrentActivityExecutionSize(maxConcurrentActivities)
        .build();
    Worker shared = factory.newWorker(taskQueue, options);
    // A plan that does not parse fails its run at once, with a message naming fields only
    // (PlanPayloadConverter on the client); retrying the workflow task could never fix it.
    WorkflowImplementationOptions workflows = WorkflowImplementationOptions.newBuilder()
        .setFailWorkflowExceptionTypes(InvalidPlanInput.class)
        .build();
    shared.registerWorkflowImplementationTypes(workflows, MigrationWorkflowImpl.class, DriftCheckWorkflowImpl.class,
        DatabaseLeaseWorkflowImpl.class, InputEraserWorkflowImpl.class, FleetWorkflowImpl.class,
        AssessmentWorkflowImpl.class);
    shared.registerActivitiesImplementations(activities, new InputEraserActivitiesImpl(factory.getWorkflowClient()),
        new FleetActivitiesImpl(factory.getWorkflowClient()));
    // Snapshot replicas wait out a whole copy on a session each; their own queue and slots keep
    // them from holding a slot a copy could use. One poller per worker: the server hands a task to
    // the poll that has waited longest, so the retry of a replica that landed on the snapshot's own
    // worker (which steps aside) goes to another worker next, not to that worker's next poller.
    factory.newWorker(TaskQueues.snapshotReplicas(taskQueue), WorkerOptions.newBuilder()
            .setMaxConcurrentActivityExecutionSize(SNAPSHOT_REPLICAS)
            .setMaxConcurrentActivityTaskPollers(1)
            .build())
        .registerActivitiesImplementations(activities);
    // Temporal keeps a run's input in its history: a run whose input held a secret is deleted, by
    // an eraser this worker starts when its converter reads such an input.
    if (factory.getWorkflowClient().getOptions().getDataConverter() instanceof PlanDataConverter plans) {
      plans.eraseInputsWith(new InputEraserStarter(factory.getWorkflowClient(), taskQueue));
    }
  }
}
