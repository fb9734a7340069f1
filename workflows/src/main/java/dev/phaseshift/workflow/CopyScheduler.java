package dev.phaseshift.workflow;

import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The bulk copy: every table in copy activities (one per table, or batches of small tables; see
 * {@link CopyBatching}), at most {@code copyParallelism} at once, largest first. A pause cancels
 * the running copies (their committed chunks stay) and the copy picks up after the resume.
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

  CopyScheduler(RunContext run) {
    this.run = run;
    this.state = run.state;
  }

  /** Copies every table under the capture's snapshot; returns when all are copied, throws the first failure. */
  void copyAll(List<TableInfo> tables, ChangeCapture capture) {
    long started = Workflow.currentTimeMillis();
    List<TableInfo> largestFirst = new ArrayList<>(tables);
    largestFirst.sort(Comparator.comparingLong(TableInfo::bytes).reversed()
        .thenComparing(TableInfo::qualifiedName));
    int parallelism = state.plan.copyParallelism();
    List<CopyBatch> batches = CopyBatching.batches(largestFirst, parallelism);
    Set<Integer> done = new HashSet<>();
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

  /** One pass over the batches not done yet, until all are done, one fails, or a pause stops it. */
  private final class Round {
    private final List<CopyBatch> batches;
    private final Set<Integer> done;
    private final int parallelism;
    private final ChangeCapture capture;
    private final List<ActivityFailure> failures = new ArrayList<>();
    private int running;

    Round(List<CopyBatch> batches, Set<Integer> done, int parallelism, ChangeCapture capture) {
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
        Workflow.await(() -> running < parallelism || !failures.isEmpty() || state.paused);
        if (!failures.isEmpty() || state.paused) break;
        running++;
        int index = i;
        start(batches.get(i)).handle((results, failure) -> {
          running--;
          if (failure == null) {
            done.add(index);
            results.forEach(state.copies::add);
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
    private Promise<List<TableCopyResult>> start(CopyBatch batch) {
      MigrationPlan plan = state.plan;
      if (batch.tables().size() == 1) {
        TableInfo table = batch.tables().get(0);
        MigrationActivities copier = copier("copy " + table.qualifiedName());
        return Async.function(copier::copyTable, plan, capture, table).thenApply(List::of);
      }
      MigrationActivities copier = copier("copy " + batch.tables().size() + " tables ("
          + batch.label() + ", " + batch.bytes() + " bytes)");
      return Async.function(copier::copyTables, plan, capture, batch).thenApply(BatchCopyResult::tables);
    }

    private MigrationActivities copier(String summary) {
      return Workflow.newActivityStub(MigrationActivities.class,
          ActivityOptions.newBuilder(COPY_OPTIONS).setSummary(summary).build());
    }
  }
}
