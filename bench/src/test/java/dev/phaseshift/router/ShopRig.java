package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.ShopLoad;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The shop on a source server, an empty target, and PgBouncer in transaction pooling in front of
 * the source as the application's only way in; the plan routes the switchover through that
 * PgBouncer. A table of filler rows ({@code shop.events}) gives the copy a size to be caught in.
 */
final class ShopRig implements AutoCloseable {
  static final String DATABASE = "shop";

  final EmbeddedPostgresServer source;
  final EmbeddedPostgresServer target;
  final PgBouncerProcess bouncer;

  private ShopRig(EmbeddedPostgresServer source, EmbeddedPostgresServer target, PgBouncerProcess bouncer) {
    this.source = source;
    this.target = target;
    this.bouncer = bouncer;
  }

  static ShopRig start(Path dir, long fillerRows) throws Exception {
    EmbeddedPostgresServer source = EmbeddedPostgresServer.start();
    EmbeddedPostgresServer target = EmbeddedPostgresServer.start();
    source.createDatabase(DATABASE);
    target.createDatabase(DATABASE);
    try (Connection c = source.connect(DATABASE); Statement s = c.createStatement()) {
      s.execute(Files.readString(ShopLoad.schema()));
      s.execute("CREATE TABLE shop.events (id bigint PRIMARY KEY, payload text NOT NULL)");
      s.execute("INSERT INTO shop.events SELECT i, repeat(md5(i::text), 6) FROM generate_series(1, " + fillerRows
          + ") i");
    }
    PgBouncerProcess bouncer = PgBouncerProcess.start(dir, "transaction",
        DATABASE + " = host=127.0.0.1 port=" + source.port() + " dbname=" + DATABASE + " pool_size=8");
    return new ShopRig(source, target, bouncer);
  }

  /** A migration of the shop through PgBouncer, with the old database kept an hour for a rollback. */
  MigrationPlan plan(String name, boolean approvalRequired, long maxFreezeSeconds) {
    MigrationPlan p = new MigrationPlan(name, source.endpoint(DATABASE), target.endpoint(DATABASE),
        TableSelection.all(), 2, new CutoverPolicy(maxFreezeSeconds + "s", 64L * 1024 * 1024), approvalRequired,
        "1h", "test").withDefaults();
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(),
        new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", null, DATABASE,
            bouncer.ini.toString()),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl())
        // These runs wait for RECOVERY; the verification window has tests of its own.
        .withVerification(VerificationPolicy.off());
  }

  /**
   * Every order and payment pgbench processed is on {@code primary}, once, each order whole (its
   * two lines with it). pgbench's per-script counts can leave a processed transaction out (see
   * {@code ShopLoad.Result.unattributed}), so a table may hold up to that many rows more.
   */
  private void assertAcknowledgedWritesOn(EmbeddedPostgresServer primary, ContinuousShopLoad.Totals load)
      throws SQLException {
    try (Connection c = primary.connect(DATABASE)) {
      long orders = number(c, "SELECT count(*) FROM shop.orders") - 200;
      long payments = number(c, "SELECT count(*) FROM shop.payments");
      System.out.println("on the primary: " + orders + " orders (pgbench counted " + load.orders() + "), "
          + payments + " payments (counted " + load.payments() + "), " + load.unattributed()
          + " transaction(s) pgbench processed without a script's count");
      assertTrue(orders >= load.orders() && orders <= load.orders() + load.unattributed(),
          "every order pgbench processed is on the primary, once: " + orders + " for " + load.orders()
              + " counted and " + load.unattributed() + " unattributed");
      assertTrue(payments >= load.payments() && payments <= load.payments() + load.unattributed(),
          "every payment pgbench processed is on the primary, once: " + payments + " for " + load.payments()
              + " counted and " + load.unattributed() + " unattributed");
      assertEquals(2 * orders, number(c, "SELECT count(*) FROM shop.order_lines WHERE order_id > 200"),
          "every order on the primary has both its lines");
    }
  }

  /** Starts the migration on the migrations' task queue of {@code client}'s server. */
  static MigrationWorkflow startMigration(WorkflowClient client, MigrationPlan plan) {
    MigrationWorkflow workflow = client.newWorkflowStub(MigrationWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.MIGRATIONS).setWorkflowId(plan.workflowId()).build());
    // Sizes only: the workload sample (60s by default) would only lengthen the run.
    WorkflowClient.start(workflow::run, plan.withAssessmentSample("0s"));
    return workflow;
  }

  /**
   * Requires what the application saw to be clean (0 failed transactions, exit 0, no aborted
   * client in any pgbench run) and its acknowledged writes on {@code primary}. Called after the
   * test's steps succeeded, so that a failed step is reported as itself.
   */
  void assertApplicationUnharmed(ContinuousShopLoad.Totals totals, EmbeddedPostgresServer primary, Path workerLog)
      throws Exception {
    System.out.println("shop workload over the whole migration, " + totals.runs() + " pgbench runs: "
        + totals.orders() + " orders, " + totals.payments() + " payments, " + totals.failed() + " failed");
    assertTrue(totals.clean(), "pgbench reported failures, a non-zero exit or an aborted client:\n"
        + totals.reports() + "\nworker log:\n" + tail(workerLog));
    assertAcknowledgedWritesOn(primary, totals);
  }

  /** The end of a worker's log, for a failure message. */
  static String tail(Path log) throws IOException {
    if (!Files.exists(log)) return "(none)";
    String text = Files.readString(log);
    return text.length() > 20_000 ? text.substring(text.length() - 20_000) : text;
  }

  /** Whether {@code server}'s shop database starts sessions read-only (retired by a switchover). */
  static boolean readOnly(EmbeddedPostgresServer server) throws SQLException {
    try (Connection c = server.connect(DATABASE)) {
      return number(c, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
          + " WHERE d.datname = current_database() AND 'default_transaction_read_only=on' = ANY (s.setconfig)") > 0;
    }
  }

  static long number(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Polls the migration's status until {@code reached}; every change of phase, step or wait is
   * written to {@code timeline} (epoch millis, tab, label) when it is not null, so a benchmark can
   * cut the application's latency log into the migration's phases.
   */
  static MigrationStatus await(MigrationWorkflow workflow, Predicate<MigrationStatus> reached, String what,
      long timeoutMillis, Path timeline) throws InterruptedException, IOException {
    return await(workflow, reached, what, timeoutMillis, timeline, "");
  }

  /**
   * As above, with {@code attempt} put before each phase on the timeline, so that a second
   * migration's phases are told apart from the first's ("2nd PREPARE").
   */
  static MigrationStatus await(MigrationWorkflow workflow, Predicate<MigrationStatus> reached, String what,
      long timeoutMillis, Path timeline, String attempt) throws InterruptedException, IOException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    String last = null;
    while (true) {
      MigrationStatus status = workflow.status();
      String label = attempt + status.phase() + "\t"
          + Objects.toString(status.waitingFor(), Objects.toString(status.step(), ""));
      if (timeline != null && !label.equals(last)) {
        Files.writeString(timeline, System.currentTimeMillis() + "\t" + label + "\n", StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      }
      last = label;
      if (reached.test(status)) return status;
      assertTrue(System.currentTimeMillis() < deadline, "never reached " + what + ": " + status);
      Thread.sleep(200);
    }
  }

  /** Marks a moment on the timeline that the status does not show (the load before the migration, a kill). */
  static void mark(Path timeline, String label) throws IOException {
    if (timeline != null) {
      Files.writeString(timeline, System.currentTimeMillis() + "\t" + label + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      bouncer.close();
    } finally {
      source.close();
      target.close();
    }
  }
}
