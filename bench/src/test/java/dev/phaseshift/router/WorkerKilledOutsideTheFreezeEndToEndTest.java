package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers killed with {@code kill -9} where no freeze protects anything: in the middle of the copy,
 * and inside validation's pause of the target's apply. Neither step stops the application's
 * writes, so they must go through at once after each kill (well within {@code maxFreeze} + 10 s);
 * a worker started after each kill takes the step over once its heartbeat timed out (the copy
 * from a new snapshot; validation resumes the apply the dead one had paused, then compares
 * afresh), the migration switches over, pgbench through PgBouncer reports 0 failed transactions
 * over the whole run, and every acknowledged order and payment is on the target.
 *
 * <p>About seventy seconds (the two heartbeat timeouts of 20 s are most of it), so it runs with
 * every build. Without validation's heartbeat the killed validation would not be retried for
 * hours, and the test would time out waiting for the switchover.
 */
class WorkerKilledOutsideTheFreezeEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  private static final long MAX_FREEZE_SECONDS = 20;
  private static final Set<Phase> SWITCHED = EnumSet.of(Phase.VERIFY, Phase.RECOVERY);
  private static final String COPYING = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'phaseshift'"
      + " AND state = 'active' AND query ILIKE 'COPY %shop%events%'";
  private static final String VALIDATION_PAUSE = "SELECT count(*) FROM pg_subscription"
      + " WHERE obj_description(oid, 'pg_subscription') = 'phaseshift: paused for validation'";

  @TempDir static Path dir;

  @Test
  void workersKilledInTheCopyAndInValidationCostTheApplicationNothing() throws Exception {
    List<Process> workers = new ArrayList<>();
    try (ShopRig rig = ShopRig.start(dir, 600_000)) {
      workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-1.log")));
      ContinuousShopLoad load = ContinuousShopLoad.start(rig.bouncer.port, ShopRig.DATABASE, 10, null);
      MigrationWorkflow workflow = null;
      ContinuousShopLoad.Totals totals;
      try {
        MigrationPlan plan = rig.plan("killed-outside-freeze", false, MAX_FREEZE_SECONDS);
        workflow = ShopRig.startMigration(temporal.client(), plan);

        killWhen(rig.source, COPYING, "the copy of shop.events", workers, rig);
        workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-2.log")));
        killWhen(rig.target, VALIDATION_PAUSE, "validation's pause of the target's apply", workers, rig);
        workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-3.log")));

        MigrationStatus switched = ShopRig.await(workflow, s -> SWITCHED.contains(s.phase()),
            "the third worker's switchover", 240_000, null);
        assertEquals("target", switched.primary(), switched.toString());
        assertTrue(switched.validation() != null && switched.validation().passed(),
            "validation retried after the kill passed: " + switched.validation());
        Thread.sleep(3_000); // the application writes to the target for a while
      } finally {
        totals = load.stop();
        if (workflow != null) WorkflowStub.fromTyped(workflow).terminate("test over");
        workers.forEach(Process::destroyForcibly);
      }
      rig.assertApplicationUnharmed(totals, rig.target, dir.resolve("worker-" + workers.size() + ".log"));
    }
  }

  /**
   * Kills the newest worker ({@code kill -9}) as soon as {@code probe} counts something on
   * {@code server}, then measures how soon a write through PgBouncer commits.
   */
  private static void killWhen(EmbeddedPostgresServer server, String probe, String what, List<Process> workers,
      ShopRig rig) throws Exception {
    Process worker = workers.get(workers.size() - 1);
    long deadline = System.currentTimeMillis() + 180_000;
    try (Connection c = server.connect(ShopRig.DATABASE)) {
      while (ShopRig.number(c, probe) == 0) {
        if (!worker.isAlive() || System.currentTimeMillis() > deadline) {
          throw new AssertionError("never saw " + what + "; worker log:\n"
              + ShopRig.tail(dir.resolve("worker-" + workers.size() + ".log")));
        }
        Thread.sleep(5);
      }
    }
    worker.destroyForcibly(); // SIGKILL
    assertTrue(worker.waitFor(10, TimeUnit.SECONDS));
    long killedAt = System.nanoTime();
    long writable = FreezeProbe.millisUntilWritable(rig.bouncer, ShopRig.DATABASE, killedAt,
        (MAX_FREEZE_SECONDS + 15) * 1000);
    System.out.println("worker killed in " + what + "; a write through PgBouncer committed " + writable + " ms later");
    assertTrue(writable < (MAX_FREEZE_SECONDS + 10) * 1000, "writable again after " + writable + " ms");
  }
}
