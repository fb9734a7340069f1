package dev.phaseshift.router;

import static dev.phaseshift.testing.Queries.exec;
import static dev.phaseshift.testing.Queries.number;
import static dev.phaseshift.testing.Queries.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.activities.MigrationActivitiesImpl;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.engine.postgres.PgNames;
import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.testing.ShopLoad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with {@code kill -9} inside the switchover's freeze, with the shop application
 * running through PgBouncer in transaction pooling: PgBouncer is paused and the source's tables
 * are locked when the worker dies, and neither may outlast it. The freeze is made to last (the
 * target's subscription is stopped, so the drain waits) and the worker killed in the middle of it.
 * Then a second worker switches over, and every transaction the application saw committed is on
 * the target.
 */
class WorkerKilledInFreezeTest {
  private static final List<String> SHOP_TABLES =
      List.of("shop.customers", "shop.products", "shop.orders", "shop.order_lines", "shop.payments");
  private static final String MAX_FREEZE = "20s";
  private static final long MAX_FREEZE_MILLIS = 20_000;

  static PgPair pairs;
  static PgTools tools;

  @TempDir Path dir;
  PgBouncerProcess bouncer;

  @BeforeAll
  static void start() {
    pairs = new PgPair();
    tools = PgTools.detect();
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @AfterEach
  void stopBouncer() throws Exception {
    if (bouncer != null) bouncer.close();
  }

  /** Fresh databases, the shop replicated to the target, and PgBouncer in front of the source. */
  private MigrationPlan shopBehindBouncer(String name) throws Exception {
    pairs.resetDatabases();
    bouncer = PgBouncerProcess.start(dir, "transaction",
        "app = host=127.0.0.1 port=" + pairs.source.port() + " dbname=" + PgPair.DATABASE + " pool_size=8");
    MigrationPlan plan = plan(name);
    shopReplicated(plan);
    return plan;
  }

  @Test
  void theFreezeEndsWithTheWorkerAndTheNextWorkerSwitchesOver() throws Exception {
    MigrationPlan plan = shopBehindBouncer("killed-in-freeze");

    ShopLoad shop = ShopLoad.start(bouncer.port, PgPair.DATABASE, 30);
    awaitOrders(400);
    String sub = PgNames.subscription(plan);
    try (Connection t = pairs.target()) {
      // The drain cannot finish while the subscription is stopped: the worker stays inside the freeze.
      exec(t, "ALTER SUBSCRIPTION " + sub + " DISABLE");
    }

    Process worker = WorkerProcess.switchover(plan, dir.resolve("worker.log"));
    long frozenAt = awaitFreeze(worker, pairs.source);
    assertEquals("1", bouncer.paused(tools, PgPair.DATABASE), "PgBouncer holds the application's queries");
    worker.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
    assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
    long killedAt = System.nanoTime();

    long writableAfter = FreezeProbe.millisUntilWritable(bouncer, PgPair.DATABASE, killedAt, MAX_FREEZE_MILLIS + 15_000);
    System.out.println("killed " + (killedAt - frozenAt) / 1_000_000 + " ms into the freeze; writes possible"
        + " again through PgBouncer " + writableAfter + " ms later");
    assertTrue(writableAfter < MAX_FREEZE_MILLIS + 10_000, "writes possible again after " + writableAfter + " ms");
    assertEquals("0", bouncer.paused(tools, PgPair.DATABASE));
    try (Connection s = pairs.source()) {
      assertEquals("off", text(s, "SHOW default_transaction_read_only"), "the source was not left read-only");
      assertEquals(0, number(s, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
          + " WHERE a.application_name = 'phaseshift freeze'"), "no lock of the dead worker's freeze remains");
    }

    // The next worker: the stream runs again and the retried switchover completes.
    try (Connection t = pairs.target()) {
      exec(t, "ALTER SUBSCRIPTION " + sub + " ENABLE");
    }
    SwitchoverResult result = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())))
        .switchover(plan);
    ShopLoad.Result load = shop.finish();
    String out = load.output();
    System.out.println("second worker's switchover: " + result + "\nshop workload:\n" + out);
    assertEquals(0, load.exitCode(), "pgbench exit code:\n" + out + "\nPgBouncer log:\n" + bouncer.log());
    assertEquals(0, load.failed(), out);
    assertTrue(!out.contains("aborted"), out);

    long orders = load.orders();
    long payments = load.payments();
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      long onTarget = number(t, "SELECT count(*) FROM shop.orders") - 200;
      assertTrue(load.accountsFor(onTarget, orders), "every order pgbench processed is on the target, once: "
          + onTarget + " for " + orders + " counted and " + load.unattributed() + " unattributed");
      assertTrue(load.accountsFor(number(t, "SELECT count(*) FROM shop.payments"), payments),
          "every payment pgbench processed is on the target, once");
      assertEquals("on", text(s, "SHOW default_transaction_read_only"), "the old source is retired");
      assertTrue(number(s, "SELECT count(*) FROM shop.orders") < 200 + orders, "the last orders went to the target");
    }
  }

  @Test
  void aRollbackKilledInsideItsFreezeReleasesTheTargetAndTheNextWorkerRollsBack() throws Exception {
    MigrationPlan plan = shopBehindBouncer("killed-in-rollback");
    MigrationActivitiesImpl activities = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())));

    ShopLoad shop = ShopLoad.start(bouncer.port, PgPair.DATABASE, 40);
    awaitOrders(300);
    activities.switchover(plan);
    activities.startReverseReplication(plan);
    Process worker;
    long frozenAt;
    try (Connection s = pairs.source()) {
      // The reverse stream stalls behind this lock on the old source, so the rollback's drain waits
      // and its worker stays inside the freeze (of the target, this time).
      exec(s, "SET default_transaction_read_only = off");
      s.setAutoCommit(false);
      exec(s, "LOCK TABLE shop.products IN ACCESS EXCLUSIVE MODE");
      worker = WorkerProcess.rollback(plan, dir.resolve("worker.log"));
      frozenAt = awaitFreeze(worker, pairs.target);
      assertEquals("1", bouncer.paused(tools, PgPair.DATABASE), "PgBouncer holds the application's queries");
      worker.destroyForcibly(); // SIGKILL
      assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
      s.rollback();
    }
    long killedAt = System.nanoTime();
    long writableAfter = FreezeProbe.millisUntilWritable(bouncer, PgPair.DATABASE, killedAt, MAX_FREEZE_MILLIS + 15_000);
    System.out.println("rollback killed " + (killedAt - frozenAt) / 1_000_000 + " ms into the freeze; writes possible"
        + " again through PgBouncer " + writableAfter + " ms later");
    assertTrue(writableAfter < MAX_FREEZE_MILLIS + 10_000, "writes possible again after " + writableAfter + " ms");
    try (Connection t = pairs.target()) {
      assertEquals("off", text(t, "SHOW default_transaction_read_only"), "the target was not left read-only");
    }

    RollbackResult result = activities.rollback(plan);
    ShopLoad.Result load = shop.finish();
    String out = load.output();
    System.out.println("second worker's rollback: " + result + "\nshop workload:\n" + out);
    assertEquals(0, load.exitCode(), "pgbench exit code:\n" + out + "\nPgBouncer log:\n" + bouncer.log());
    assertEquals(0, load.failed(), out);
    assertTrue(!out.contains("aborted"), out);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      long onSource = number(s, "SELECT count(*) FROM shop.orders") - 200;
      assertTrue(load.accountsFor(onSource, load.orders()), "every order pgbench processed is on the old source,"
          + " the primary again, once: " + onSource + " for " + load.orders() + " counted and " + load.unattributed()
          + " unattributed");
      assertTrue(load.accountsFor(number(s, "SELECT count(*) FROM shop.payments"), load.payments()),
          "every payment pgbench processed is on the primary, once");
      assertEquals("off", text(s, "SHOW default_transaction_read_only"));
      assertEquals("on", text(t, "SHOW default_transaction_read_only"), "the target is retired");
    }
  }

  private MigrationPlan plan(String name) {
    MigrationPlan p = pairs.plan(name);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(),
        new CutoverPolicy(MAX_FREEZE, p.cutover().maxLagBytes()), p.approvalRequired(), p.retention(),
        p.requestedBy(), p.approval(), p.maintenanceWindows(),
        new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", null, PgPair.DATABASE,
            bouncer.ini.toString()),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl());
  }

  /** The shop's schema and data on the source, its schema on the target, replicated as the migration leaves it. */
  private void shopReplicated(MigrationPlan plan) throws Exception {
    PgTools.Installation inst = tools.forServer(150000);
    tools.psqlScript(inst, PgEndpoint.source(plan), Files.readString(ShopLoad.schema()));
    tools.psqlScript(inst, PgEndpoint.target(plan), tools.pgDump(inst, PgEndpoint.source(plan),
        List.of("--schema-only", "--no-owner", "--no-privileges", "--no-publications", "--no-subscriptions")));
    pairs.replicate(PgNames.publication(plan), PgNames.subscription(plan), SHOP_TABLES);
  }

  private void awaitOrders(long count) throws Exception {
    try (Connection s = pairs.source()) {
      long deadline = System.currentTimeMillis() + 20_000;
      while (number(s, "SELECT count(*) FROM shop.orders") < count) {
        if (System.currentTimeMillis() > deadline) throw new AssertionError("the shop workload did not get going");
        Thread.sleep(50);
      }
    }
  }

  /** Waits until the worker holds the freeze's locks on {@code side}; returns when it did. */
  private long awaitFreeze(Process worker, EmbeddedPostgresServer side) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    // Watched from another database: the move ends every other session on the migrated one.
    try (Connection s = side.connect("postgres")) {
      while (FreezeProbe.freezeLocks(s) < SHOP_TABLES.size()) {
        if (!worker.isAlive() || System.currentTimeMillis() > deadline) {
          throw new AssertionError("the worker never froze writes:\n" + Files.readString(dir.resolve("worker.log")));
        }
        Thread.sleep(20);
      }
    }
    long frozenAt = System.nanoTime();
    Thread.sleep(1_000);
    assertTrue(worker.isAlive(), "the worker is inside the freeze");
    return frozenAt;
  }
}
