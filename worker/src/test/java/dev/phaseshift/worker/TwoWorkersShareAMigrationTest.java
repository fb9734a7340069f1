package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phaseshift.activities.MigrationMetrics;
import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.TaskQueues;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import java.sql.Connection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two worker processes (two factories, each with its own metrics, as two containers would have)
 * poll the one task queue of a real Temporal server while a migration runs. Each may run one
 * activity at a time, so the two table copies, scheduled together, can only run one on each
 * worker: both import the snapshot that one of them exported. Once the target is primary the
 * worker that exported the snapshot is stopped, as in a rolling redeploy, and the other one
 * carries the same migration to the end: its workflow tasks (replayed from history) and its
 * remaining activities.
 *
 * <p>Apart from the copies, which worker takes a step is up to Temporal: the sticky workflow
 * cache and eager activity dispatch tend to keep one migration's sequential steps on the worker
 * holding its workflow, so the test does not expect them to alternate.
 */
class TwoWorkersShareAMigrationTest {
  @Test
  void bothWorkersCopyAndTheSecondWorkerTakesOverTheMigration() throws Exception {
    try (PgPair pg = new PgPair(); DevServer temporal = DevServer.start()) {
      TestMigrations.createTables(pg);
      SimpleMeterRegistry metricsA = new SimpleMeterRegistry();
      SimpleMeterRegistry metricsB = new SimpleMeterRegistry();
      AtomicInteger workflowTasksA = new AtomicInteger();
      AtomicInteger workflowTasksB = new AtomicInteger();
      WorkerFactory a = WorkerFactory.newInstance(temporal.client, counting(workflowTasksA));
      WorkerFactory b = WorkerFactory.newInstance(temporal.client, counting(workflowTasksB));
      PhaseshiftWorkers.register(a, TaskQueues.MIGRATIONS, metricsA, 1);
      PhaseshiftWorkers.register(b, TaskQueues.MIGRATIONS, metricsB, 1);
      a.start();
      b.start();
      boolean[] snapshotOnA = new boolean[1];
      try {
        MigrationReport report = TestMigrations.migrate(temporal.client, pg, "two-workers", () -> {
          snapshotOnA[0] = steps(metricsA).containsKey("startChangeCapture");
          WorkerFactory holder = snapshotOnA[0] ? a : b;
          holder.shutdown();
          holder.awaitTermination(30, TimeUnit.SECONDS);
        });
        assertThat(report.outcome()).isEqualTo("COMPLETED");
        assertThat(report.copies()).hasSize(2);
        try (Connection t = pg.target()) {
          assertThat(TestMigrations.count(t, "items") + TestMigrations.count(t, "events")).isEqualTo(TestMigrations.ROWS);
        }
      } finally {
        a.shutdown();
        b.shutdown();
        a.awaitTermination(10, TimeUnit.SECONDS);
        b.awaitTermination(10, TimeUnit.SECONDS);
      }

      Map<String, Long> stepsA = steps(metricsA);
      Map<String, Long> stepsB = steps(metricsB);
      System.out.println("worker A ran " + workflowTasksA + " workflow executions and " + stepsA
          + "\nworker B ran " + workflowTasksB + " workflow executions and " + stepsB);
      assertThat(stepsA).as("worker A copied a table").containsEntry("copyTable", 1L);
      assertThat(stepsB).as("worker B copied a table").containsEntry("copyTable", 1L);
      assertThat(rows(metricsA)).isPositive();
      assertThat(rows(metricsB)).isPositive();
      assertThat(rows(metricsA) + rows(metricsB)).isEqualTo(TestMigrations.ROWS);

      Map<String, Long> holder = snapshotOnA[0] ? stepsA : stepsB;
      Map<String, Long> survivor = snapshotOnA[0] ? stepsB : stepsA;
      AtomicInteger survivorWorkflows = snapshotOnA[0] ? workflowTasksB : workflowTasksA;
      assertThat(holder).containsEntry("startChangeCapture", 1L).doesNotContainKey("decommission");
      assertThat(survivor).doesNotContainKey("startChangeCapture").containsEntry("decommission", 1L);
      assertThat(survivorWorkflows).as("the survivor ran the migration's workflow").hasPositiveValue();
    }
  }

  /** Counts the workflow executions a worker builds: once per migration it picks up, again after a replay. */
  private static WorkerFactoryOptions counting(AtomicInteger workflows) {
    return WorkerFactoryOptions.newBuilder()
        .setWorkerInterceptors(new WorkerInterceptorBase() {
          @Override
          public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
            workflows.incrementAndGet();
            return next;
          }
        })
        .build();
  }

  /** Successful steps per name that this worker ran. */
  private static Map<String, Long> steps(SimpleMeterRegistry registry) {
    Map<String, Long> steps = new TreeMap<>();
    for (Timer timer : registry.find(MigrationMetrics.STEP).tag(MigrationMetrics.OUTCOME_TAG, "success").timers()) {
      steps.merge(timer.getId().getTag(MigrationMetrics.STEP_TAG), timer.count(), Long::sum);
    }
    return steps;
  }

  private static double rows(SimpleMeterRegistry registry) {
    return registry.find(MigrationMetrics.ROWS_COPIED).counters().stream().mapToDouble(Counter::count).sum();
  }
}
