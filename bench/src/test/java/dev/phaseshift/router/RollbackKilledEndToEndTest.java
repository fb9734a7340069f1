package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollback whose worker is killed with {@code kill -9} inside the rollback's freeze (the
 * target's tables locked, PgBouncer paused), under the shop load through PgBouncer. Writes go
 * through again within {@code maxFreeze} + 10 s (the locks die with the worker's session, the
 * pause with its guard); a worker started after the kill takes the rollback over once its
 * heartbeat timed out, the migration ends ROLLED_BACK with the source as the primary, pgbench
 * reports 0 failed transactions, and every acknowledged order and payment is on the source.
 * About a minute.
 */
class RollbackKilledEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  private static final long MAX_FREEZE_SECONDS = 20;

  @TempDir static Path dir;

  @Test
  void aRollbackKilledInsideItsFreezeCostsTheApplicationNothing() throws Exception {
    List<Process> workers = new ArrayList<>();
    try (ShopRig rig = ShopRig.start(dir, 10_000)) {
      workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-1.log")));
      ContinuousShopLoad load = ContinuousShopLoad.start(rig.bouncer.port, ShopRig.DATABASE, 10, null);
      ContinuousShopLoad.Totals totals;
      try {
        MigrationPlan plan = rig.plan("rollback-killed", false, MAX_FREEZE_SECONDS);
        MigrationWorkflow workflow = ShopRig.startMigration(temporal.client(), plan);
        MigrationStatus switched = ShopRig.await(workflow, s -> s.phase() == Phase.RECOVERY, "RECOVERY", 180_000,
            null);
        assertEquals("target", switched.primary(), switched.toString());
        Thread.sleep(2_000); // the application writes to the target for a while

        workflow.rollback(new OperatorRequest("alice", "proof: roll back, and lose the worker doing it"));
        Process first = workers.get(0);
        try (Connection t = rig.target.connect("postgres")) {
          long deadline = System.currentTimeMillis() + 60_000;
          while (FreezeProbe.freezeLocks(t) == 0) {
            if (!first.isAlive() || System.currentTimeMillis() > deadline) {
              throw new AssertionError("the rollback never froze the target's writes:\n"
                  + ShopRig.tail(dir.resolve("worker-1.log")));
            }
            Thread.sleep(2);
          }
        }
        first.destroyForcibly(); // SIGKILL
        assertTrue(first.waitFor(10, TimeUnit.SECONDS));
        long killedAt = System.nanoTime();
        long writable = FreezeProbe.millisUntilWritable(rig.bouncer, ShopRig.DATABASE, killedAt,
            (MAX_FREEZE_SECONDS + 15) * 1000);
        System.out.println("worker killed inside the rollback's freeze; a write through PgBouncer committed "
            + writable + " ms later");
        assertTrue(writable < (MAX_FREEZE_SECONDS + 10) * 1000, "writable again after " + writable + " ms");
        assertEquals("0", rig.bouncer.paused(PgTools.detect(), ShopRig.DATABASE));

        workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-2.log")));
        MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(180, TimeUnit.SECONDS,
            MigrationReport.class);
        assertEquals("ROLLED_BACK", report.outcome(), report.toString());
        assertEquals("source", workflow.status().primary());
        assertFalse(ShopRig.readOnly(rig.source), "the source takes writes again");
        assertTrue(ShopRig.readOnly(rig.target), "the target is retired");
        Thread.sleep(2_000); // and the application writes to the source again
      } finally {
        totals = load.stop();
        workers.forEach(Process::destroyForcibly);
      }
      rig.assertApplicationUnharmed(totals, rig.source, dir.resolve("worker-" + workers.size() + ".log"));
    }
  }
}
