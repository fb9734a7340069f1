package dev.phaseshift.workflow;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.SeedingResult;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.Seeding;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

/**
 * Physical seeding ({@code seeding.method: physical}) in the workflow: the target-host check in
 * PREPARE, the seeding in MIGRATE in place of the table copy, and its undo. Every step runs on the
 * plan's seeding queue, which only a worker on the target host serves; the rest of the migration
 * (lag, validation, switchover, reverse replication) works on the names the seeding gave the
 * change stream, as after a logical copy.
 */
final class PhysicalSeed {
  /**
   * How long the host check waits for a worker on the seeding queue. Short: nothing has changed
   * yet, and a queue nobody serves is a setup mistake the operator should hear about at once.
   */
  static final Duration HOST_WORKER_WAIT = Duration.ofMinutes(1);
  /** A base backup of a large cluster runs for hours; its heartbeats show it is alive. */
  static final Duration SEEDING_LIMIT = Duration.ofHours(24);
  static final String HOST_CHECK = "check the target host for physical seeding";

  private final RunContext run;

  PhysicalSeed(RunContext run) {
    this.run = run;
  }

  static boolean physical(MigrationPlan plan) {
    return plan.seedingOrDefault().physical();
  }

  /** The plan's seeding queue, by default the one beside the queue this workflow runs on. */
  static String queue(MigrationPlan plan) {
    Seeding seeding = plan.seedingOrDefault();
    return seeding.taskQueue() != null ? seeding.taskQueue() : TaskQueues.seeding(Workflow.getInfo().getTaskQueue());
  }

  /**
   * PREPARE's findings from the target host. A queue no worker serves is a blocker like the
   * others: the check never started, so nothing was changed, and the fix is to start that worker.
   */
  List<Finding> checkHost() {
    run.show("checking the target host through the worker on " + queue(run.plan()));
    run.state.step = HOST_CHECK;
    return hostFindings(run.plan());
  }

  /** The host check as PREPARE makes it, also for the assessment that only reports ({@code phaseshift assess}). */
  static List<Finding> hostFindings(MigrationPlan plan) {
    String queue = queue(plan);
    SeedingActivities host = Workflow.newActivityStub(SeedingActivities.class, ActivityOptions.newBuilder()
        .setTaskQueue(queue)
        .setScheduleToStartTimeout(HOST_WORKER_WAIT)
        .setStartToCloseTimeout(Duration.ofMinutes(10))
        .setRetryOptions(RunContext.retries())
        .setSummary(HOST_CHECK)
        .build());
    try {
      return host.checkSeedingHost(plan);
    } catch (ActivityFailure failure) {
      if (!(failure.getCause() instanceof TimeoutFailure timeout)
          || timeout.getTimeoutType() != TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) {
        throw failure;
      }
      return List.of(new Finding(Severity.BLOCKER, "seeding_worker_missing", "seeding queue " + queue,
          "no worker took the target-host check within " + HOST_WORKER_WAIT.toSeconds() + "s: start a worker on the"
              + " target host with phaseshift.seeding-queue=" + queue + " (environment PHASESHIFT_SEEDING_QUEUE),"
              + " running as the operating-system user that will own " + plan.seedingOrDefault().dataDirectory()));
    }
  }

  /**
   * MIGRATE's copy: the undo is registered first (a seeding cut short leaves a partial copy and
   * perhaps a publication on the source), then the seeding, which leaves the change stream attached.
   */
  ChangeCapture seed(UndoSteps saga) {
    MigrationPlan plan = run.plan();
    String queue = queue(plan);
    SeedingActivities undo = stub(null, ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofHours(1)));
    saga.add(undo::undoPhysicalSeeding, plan);
    // In the workflow's words (the module names no engine): the tools are named in the step's heartbeats.
    run.show("seeding the target physically: a copy of the source's whole cluster, turned into the change"
        + " stream's target, on " + queue);
    long started = Workflow.currentTimeMillis();
    SeedingActivities seeder = stub("seed the target physically", ActivityOptions.newBuilder()
        .setStartToCloseTimeout(SEEDING_LIMIT)
        .setHeartbeatTimeout(SeedingActivities.SEEDING_HEARTBEAT_TIMEOUT));
    ChangeCapture capture = seeder.seedPhysically(plan);
    run.state.seeded = new SeedingResult(Seeding.PHYSICAL, queue, Workflow.currentTimeMillis() - started);
    return capture;
  }

  /** A rehearsal's teardown: the new server goes with everything on it, so no object is dropped one by one. */
  void tearDown() {
    stub("rehearsal: remove the physical copy", ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofHours(1)))
        .undoPhysicalSeeding(run.plan());
  }

  /**
   * A stub on the seeding queue, retried as every step is; an abort waits for a running step to
   * really end, so the undo never races the tools it removes. {@code summary} null: no summary,
   * as for the other compensations.
   */
  private SeedingActivities stub(String summary, ActivityOptions.Builder options) {
    options.setTaskQueue(queue(run.plan()))
        .setRetryOptions(RunContext.retries())
        .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
    if (summary != null) {
      run.state.step = summary;
      options.setSummary(summary);
    }
    return Workflow.newActivityStub(SeedingActivities.class, options.build());
  }
}
