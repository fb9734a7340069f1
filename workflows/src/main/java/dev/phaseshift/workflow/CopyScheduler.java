package dev.phaseshift.workflow;

import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.Priority;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The bulk copy: every table in copy activities (one per table, or batches of small tables; see
 * {@link CopyBatching}), at most {@code copyParallelism} at once, largest first. A large table is
 * split into slices ({@link TableSlicing}) that run side by side, up to twice that many, so every
 * worker on the queue takes a share of it. A pause cancels the running copies (their committed
 * chunks stay) and the copy picks up after the resume.
 */
final class CopyScheduler {
  /**
   * Any worker can read under the capture's snapshot while the one that took it lives; when it
   * dies the copy fails as SNAPSHOT_LOST. Eager dispatch would hand every copy to the worker
   * running this workflow task, so copies wait on the queue for whichever worker is free. A paused
   * copy must really have stopped before it may run again, or two attempts would write the same
   * table.
   */
  private static final ActivityOptions COPY_OPTIONS = ActivityOptions.newBuilder()
      .setStartToCloseTimeout(Duration.ofHours(24))
      .setHeartbeatTimeout(MigrationActivities.COPY_HEARTBEAT_TIMEOUT)
      .setRetryOptions(RunContext.retries())
      .setDisableEagerExecution(true)
      .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
      .build();

  private final RunContext run;
  private final MigrationState state;
  private final TableSlicing slicing = new TableSlicing();

  /** One copy activity: a batch (a table alone is a batch of one), or a slice of a large table. */
  private record Unit(CopyBatch batch, TableSlice slice) {}

  CopyScheduler(RunContext run) {
    this.run = run;
    this.state = run.state;
  }

  /**
   * Copies every table of the batches (see {@link CopyPlanning}) under the capture's snapshot;
   * returns when all are copied, throws the first failure.
   */
  void copyAll(List<CopyBatch> planned, ChangeCapture capture) {
    long started = Workflow.currentTimeMillis();
    int parallelism = state.plan.copyParallelism();
    List<Unit> batches = units(planned, parallelism);
    slicing.clear();
    Set<Integer> done = new HashSet<>();
    holdReplica(capture);
    while (true) {
      Round round = new Round(batches, done, parallelism, capture);
      round.run();
      if (!round.failures.isEmpty()) throw round.failures.get(0);
      if (done.size() == batches.size()) break;
      run.show("paused: send the 'resume' signal to continue the copy");
      Workflow.await(() -> !state.paused);
      run.show("copying tables");
    }
    state.copyMillis = Workflow.currentTimeMillis() - started;
  }

  /**
   * Starts holding a replica of the capture's snapshot on another worker, so that losing the
   * snapshot's worker does not restart the copy. It is not cancelled: the step that attaches the
   * stream (or resets or undoes the capture) ends the replica's session together with the
   * original's, and its next attempt, finding the snapshot gone, ends by itself. Its outcome does
   * not matter to the copy: without a replica, a lost snapshot restarts the copy as before.
   */
  private void holdReplica(ChangeCapture capture) {
    MigrationActivities holder = Workflow.newActivityStub(MigrationActivities.class, ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.snapshotReplicas(Workflow.getInfo().getTaskQueue()))
        .setStartToCloseTimeout(Duration.ofHours(24))
        .setHeartbeatTimeout(MigrationActivities.COPY_HEARTBEAT_TIMEOUT)
        // On the snapshot's own worker it steps aside; the next attempt may find another. Retried
        // soon: a replica taken late protects less of the copy.
        .setRetryOptions(RetryOptions.newBuilder().setInitialInterval(Duration.ofMillis(500))
            .setBackoffCoefficient(1.5).setMaximumInterval(Duration.ofSeconds(10)).build())
        .setDisableEagerExecution(true)
        .setSummary("hold a replica of the copy's snapshot")
        .setPriority(priority(state.plan))
        .build());
    // Never awaited: the copy neither waits for it nor fails with it.
    Async.procedure(holder::holdSnapshotReplica, state.plan, capture);
  }

  private static List<Unit> units(List<CopyBatch> batches, int parallelism) {
    List<Unit> units = new ArrayList<>();
    for (CopyBatch batch : batches) {
      int slices = batch.stored() == null && batch.tables().size() == 1
          ? TableSlicing.slices(batch.tables().get(0), parallelism) : 1;
      if (slices == 1) {
        units.add(new Unit(batch, null));
      } else {
        TableSlicing.of(batch.tables().get(0), slices).forEach(s -> units.add(new Unit(null, s)));
      }
    }
    return units;
  }

  /**
   * The migration's share of the task queue: where the Temporal server has fairness on, the many
   * slices of one migration's copy are dispatched in turn with other migrations' activities instead
   * of ahead of them. Plan names (at most 41 ASCII characters) fit the 64-byte limit of a key.
   */
  static Priority priority(MigrationPlan plan) {
    return Priority.newBuilder().setFairnessKey(plan.name()).build();
  }

  /** One pass over the batches not done yet, until all are done, one fails, or a pause stops it. */
  private final class Round {
    private final List<Unit> batches;
    private final Set<Integer> done;
    private final int parallelism;
    private final ChangeCapture capture;
    private final List<ActivityFailure> failures = new ArrayList<>();
    private int running;

    Round(List<Unit> batches, Set<Integer> done, int parallelism, ChangeCapture capture) {
      this.batches = batches;
      this.done = done;
      this.parallelism = parallelism;
      this.capture = capture;
    }

    void run() {
      CancellationScope scope = Workflow.newCancellationScope(this::startAll);
      scope.run();
      Workflow.await(() -> running == 0 || state.paused);
      if (state.paused && running > 0) {
        scope.cancel();
        Workflow.await(() -> running == 0);
      }
    }

    private void startAll() {
      for (int i = 0; i < batches.size(); i++) {
        if (done.contains(i)) continue;
        // Slices may run twice as many: each worker bounds its own chunk streams, so more slices in
        // flight only let more workers take part.
        int lanes = batches.get(i).slice() == null ? parallelism : 2 * parallelism;
        Workflow.await(() -> running < lanes || !failures.isEmpty() || state.paused);
        if (!failures.isEmpty() || state.paused) break;
        running++;
        int index = i;
        start(batches.get(i)).handle((results, failure) -> {
          running--;
          if (failure == null) {
            done.add(index);
            results.forEach(r -> r.tables().forEach(state.copies::add));
            results.forEach(r -> state.copies.add(r.rest()));
            state.copies.activityFinished();
            run.render();
          } else if (!(state.paused && Failures.isCancellation(failure))) {
            failures.add((ActivityFailure) failure);
          }
          return null;
        });
      }
    }

    /** A table alone goes to CopyTable, with its own line in the Web UI; a batch to CopyTables. */
    private Promise<List<BatchCopyResult>> start(Unit unit) {
      MigrationPlan plan = state.plan;
      if (unit.slice() != null) {
        TableSlice slice = unit.slice();
        MigrationActivities copier = copier("copy " + slice.label());
        return Async.function(copier::copyTableSlice, plan, capture, slice).thenApply(result -> {
          TableCopyResult table = slicing.finished(slice, result);
          return table == null ? List.<BatchCopyResult>of() : List.of(alone(table));
        });
      }
      CopyBatch batch = unit.batch();
      if (batch.stored() == null && batch.tables().size() == 1) {
        TableInfo table = batch.tables().get(0);
        MigrationActivities copier = copier("copy " + table.qualifiedName());
        return Async.function(copier::copyTable, plan, capture, table).thenApply(t -> List.of(alone(t)));
      }
      MigrationActivities copier = copier("copy " + batch.tableCount() + " tables ("
          + batch.label() + ", " + batch.bytes() + " bytes)");
      return Async.function(copier::copyTables, plan, capture, batch).thenApply(List::of);
    }

    private static BatchCopyResult alone(TableCopyResult table) {
      return new BatchCopyResult(table.table(), List.of(table), table.millis());
    }

    private MigrationActivities copier(String summary) {
      return Workflow.newActivityStub(MigrationActivities.class,
          ActivityOptions.newBuilder(COPY_OPTIONS).setSummary(summary).setPriority(priority(state.plan)).build());
    }
  }
}
