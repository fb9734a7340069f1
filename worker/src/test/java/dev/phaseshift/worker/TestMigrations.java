package dev.phaseshift.worker;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A small real migration between a {@link PgPair}, driven the way an operator would. */
final class TestMigrations {
  static final int ROWS = 3000;

  private TestMigrations() {}

  /** Two tables, so the copy has more than one activity, with {@link #ROWS} rows together. */
  static void createTables(PgPair pg) throws Exception {
    try (Connection c = pg.source(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2))");
      s.execute("INSERT INTO items SELECT g, 'item ' || g, g / 7.0 FROM generate_series(1, " + (ROWS - 1000) + ") g");
      s.execute("CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb)");
      s.execute("INSERT INTO events SELECT g, jsonb_build_object('n', g) FROM generate_series(1, 1000) g");
    }
  }

  /**
   * Starts the migration, plays the operator who repoints the application after switchover (the
   * manual router waits for that), and returns the final report. A short retention keeps the
   * RECOVERY wait brief without time skipping, which would race the real database work.
   */
  static MigrationReport migrate(WorkflowClient client, PgPair pg, String name) throws Exception {
    return migrate(client, pg, name, () -> {});
  }

  /** @param atSwitch runs once the target is primary, before the operator confirms the switch */
  static MigrationReport migrate(WorkflowClient client, PgPair pg, String name, Runnable atSwitch) throws Exception {
    return migrate(client, pg, name, atSwitch, 120);
  }

  /** @param seconds how long the migration may take, for tests that copy a large table */
  static MigrationReport migrate(WorkflowClient client, PgPair pg, String name, Runnable atSwitch, int seconds)
      throws Exception {
    MigrationPlan base = pg.plan(name);
    MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(), base.tables(),
        base.copyParallelism(), base.cutover(), false, "2s", "test").withAssessmentSample("0s").withDefaults();
    MigrationWorkflow workflow = client.newWorkflowStub(MigrationWorkflow.class, WorkflowOptions.newBuilder()
        .setTaskQueue(TaskQueues.MIGRATIONS)
        .setWorkflowId(plan.workflowId())
        .build());
    WorkflowClient.start(workflow::run, plan);
    CompletableFuture<MigrationReport> result = WorkflowStub.fromTyped(workflow).getResultAsync(MigrationReport.class);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    boolean switched = false;
    while (System.nanoTime() < deadline) {
      try {
        return result.get(200, TimeUnit.MILLISECONDS);
      } catch (TimeoutException running) {
        // still running
      }
      if (!switched) {
        MigrationStatus status = workflow.status();
        if (status.waitingFor() != null && status.waitingFor().startsWith("connectionSwitched")) {
          atSwitch.run();
          workflow.connectionSwitched(new OperatorRequest("test", "application repointed"));
          switched = true;
        }
      }
    }
    throw new AssertionError("migration " + name + " did not finish in " + seconds + "s: " + workflow.status());
  }

  static long count(Connection c, String table) throws Exception {
    try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
