package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.ShopLoad;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole migration on a real Temporal dev server, run by a worker process that is killed with
 * {@code kill -9} inside the switchover's freeze, under the shop application through PgBouncer in
 * transaction pooling (running from the wait for the maintenance window on). Writes go through
 * again at once; a second worker process, started after the kill, takes the switchover over once
 * its heartbeat timed out, and the migration reaches
 * VERIFY with the target as the primary; pgbench reports no failed transaction and every
 * transaction it counted is on the target.
 *
 * <p>It takes about two minutes (the window opens a minute in), so it runs when asked:
 * {@code ./mvnw -B -pl bench -am test -Dtest=WorkerKilledEndToEndTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dphaseshift.killTests=true}. The engine-level kill tests (activities' WorkerKilledInFreezeTest)
 * run with every build.
 */
@EnabledIfSystemProperty(named = "phaseshift.killTests", matches = "true",
    disabledReason = "takes two minutes; run with -Dphaseshift.killTests=true")
class WorkerKilledEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  private static final String DATABASE = "shop";
  private static final long MAX_FREEZE_MILLIS = 20_000;
  private static final Set<Phase> SWITCHED = EnumSet.of(Phase.VERIFY, Phase.RECOVERY, Phase.OPTIMIZE, Phase.COMPLETED);

  static EmbeddedPostgresServer source;
  static EmbeddedPostgresServer target;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    source = EmbeddedPostgresServer.start();
    target = EmbeddedPostgresServer.start();
    source.createDatabase(DATABASE);
    target.createDatabase(DATABASE);
    try (Connection c = source.connect(DATABASE)) {
      ShopLoad.createSchema(c);
    }
  }

  @AfterAll
  static void stop() {
    if (source != null) source.close();
    if (target != null) target.close();
  }

  @Test
  void aWorkerKilledInsideTheFreezeCostsTheApplicationNothing() throws Exception {
    try (PgBouncerProcess bouncer = PgBouncerProcess.start(dir, "transaction",
        DATABASE + " = host=127.0.0.1 port=" + source.port() + " dbname=" + DATABASE + " pool_size=8")) {
      MigrationPlan plan = plan(bouncer);
      Path firstLog = dir.resolve("worker-1.log");
      Process first = WorkerMain.start(temporal.address(), firstLog);
      Process second = null;
      ShopLoad shop = null;
      try {
        MigrationWorkflow workflow = temporal.client().newWorkflowStub(MigrationWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(TaskQueues.MIGRATIONS).setWorkflowId(plan.workflowId()).build());
        WorkflowClient.start(workflow::run, plan.withAssessmentSample("0s"));
        // The application runs from the wait for the window on: copy and validation under load
        // are the subject of other tests.
        await(workflow, s -> s.phase() == Phase.SWITCHOVER, "the wait for the maintenance window");
        shop = ShopLoad.start(bouncer.port, DATABASE, 60);

        awaitFreezeAndKill(first, firstLog);
        long killedAt = System.nanoTime();
        long writable = FreezeProbe.millisUntilWritable(bouncer, DATABASE, killedAt, MAX_FREEZE_MILLIS + 15_000);
        System.out.println("worker killed inside the freeze; writes through PgBouncer possible again after "
            + writable + " ms");
        assertTrue(writable < MAX_FREEZE_MILLIS + 10_000, "writable again after " + writable + " ms");
        assertEquals("0", bouncer.paused(PgTools.detect(), DATABASE));

        second = WorkerMain.start(temporal.address(), dir.resolve("worker-2.log"));
        MigrationStatus status = await(workflow, s -> SWITCHED.contains(s.phase()), "the second worker's switchover");
        assertEquals("target", status.primary(), status.toString());

        ShopLoad.Result load = shop.finish();
        String out = load.output();
        System.out.println("shop workload over the whole migration:\n" + out);
        assertEquals(0, load.exitCode(), "pgbench exit code:\n" + out + "\nPgBouncer log:\n" + bouncer.log());
        assertEquals(0, load.failed(), out);
        assertTrue(!load.aborted(), out);
        // Exact: the run ends by transaction count, so a transaction in flight at the kill is
        // finished (or failed, and counted as failed) and one cut off at a time limit cannot be.
        try (Connection t = target.connect(DATABASE)) {
          assertTrue(load.accountsFor(number(t, "SELECT count(*) FROM shop.orders") - 200, load.orders()),
              "every order pgbench processed is on the primary, once:\n" + out);
          assertTrue(load.accountsFor(number(t, "SELECT count(*) FROM shop.payments"), load.payments()),
              "every payment pgbench processed is on the primary, once:\n" + out);
        }
        WorkflowStub.fromTyped(workflow).terminate("test over");
      } finally {
        first.destroyForcibly();
        if (second != null) second.destroyForcibly();
        if (shop != null) shop.close();
      }
    }
  }

  private static MigrationPlan plan(PgBouncerProcess bouncer) {
    MigrationPlan p = new MigrationPlan("killed-worker", source.endpoint(DATABASE), target.endpoint(DATABASE),
        TableSelection.all(), 2, new CutoverPolicy(MAX_FREEZE_MILLIS / 1000 + "s", 64L * 1024 * 1024), false, "1h",
        "test").withDefaults();
    // A window that opens once the copy and validation are surely done, so the switchover waits
    // for it without an approval (whose re-validation would run under the load too).
    LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC).withNano(0);
    List<MaintenanceWindow> window = List.of(new MaintenanceWindow(null, null, now.plusSeconds(60).toString(),
        now.plusMinutes(30).toString(), "UTC"));
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), window,
        new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", null, DATABASE,
            bouncer.ini.toString()),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl())
        .withVerification(VerificationPolicy.off());
  }

  /**
   * Kills the worker as soon as its switchover holds the freeze's locks on the source. The freeze
   * lasts a fraction of a second, so the kill may also land just after the hand-over committed;
   * either way no acknowledged write may be lost and the migration must go on.
   */
  private static void awaitFreezeAndKill(Process worker, Path log) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    try (Connection s = source.connect("postgres")) {
      while (FreezeProbe.freezeLocks(s) == 0) {
        if (!worker.isAlive() || System.currentTimeMillis() > deadline) {
          throw new AssertionError("the worker never froze writes:\n" + Files.readString(log));
        }
        Thread.sleep(2);
      }
    }
    worker.destroyForcibly(); // SIGKILL
    assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
    try (Connection t = target.connect(DATABASE)) {
      System.out.println("killed the worker inside the freeze; hand-over recorded before the kill: "
          + (number(t, "SELECT count(*) FROM phaseshift.switchover") > 0));
    }
  }

  private static MigrationStatus await(MigrationWorkflow workflow, Predicate<MigrationStatus> reached, String what)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 180_000;
    MigrationStatus status = workflow.status();
    while (!reached.test(status)) {
      assertTrue(System.currentTimeMillis() < deadline, "never reached " + what + ": " + status);
      Thread.sleep(200);
      status = workflow.status();
    }
    return status;
  }

  private static long number(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
