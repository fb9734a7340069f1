package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application through a whole migration, back, and over again: the shop workload
 * (multi-table transactions in varying table order, deferred foreign keys) runs through PgBouncer
 * in transaction pooling at 150 transactions a second from before PREPARE to the end, while a
 * worker process runs PREPARE, the copy, validation, the wait for sign-off (given), the
 * re-validation before the freeze, the switchover, VERIFY, and then the rollback asked for in
 * RECOVERY; then the team migrates again with the same plan to the same target database (which
 * holds the first attempt's copy, read-only since the rollback), and switches over a second time.
 * pgbench's own report must say 0 failed transactions, exit 0 and no aborted client over every
 * run, and every order and payment it counted must be on the final primary, the target, once.
 *
 * <p>About 75 seconds. {@code bench/proof-load.sh} runs a bigger version with per-transaction
 * logs and reports the latency the application gained in each phase; it passes
 * {@code phaseshift.proof.*} properties (filler rows, quiet baseline, timeline and log paths).
 */
class MigrationUnderLoadEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();

  @TempDir static Path dir;

  @Test
  void aWholeMigrationItsRollbackAndTheNextMigrationCostTheApplicationNothing() throws Exception {
    long rows = Long.getLong("phaseshift.proof.rows", 50_000);
    int baselineSeconds = Integer.getInteger("phaseshift.proof.baselineSeconds", 5);
    Path timeline = pathProperty("phaseshift.proof.timeline");
    if (timeline == null) timeline = dir.resolve("timeline.tsv");
    String logPrefix = System.getProperty("phaseshift.proof.logPrefix");
    Path workerLog = dir.resolve("worker.log");
    try (ShopRig rig = ShopRig.start(dir, rows)) {
      Process worker = WorkerMain.start(temporal.address(), workerLog);
      ContinuousShopLoad load = ContinuousShopLoad.start(rig.bouncer.port, ShopRig.DATABASE, 10, logPrefix);
      ContinuousShopLoad.Totals totals;
      try {
        ShopRig.mark(timeline, "QUIET\tthe application alone");
        Thread.sleep(baselineSeconds * 1000L);

        MigrationPlan plan = rig.plan("under-load", true, 20);
        MigrationWorkflow workflow = ShopRig.startMigration(temporal.client(), plan);
        switchOverUnderLoad(rig, workflow, timeline, "");
        Thread.sleep(3_000); // the application writes to the target for a while
        ShopRig.mark(timeline, "ROLLBACK\tasked");
        Decision back = workflow.rollbackUpdate(new OperatorRequest("alice", "proof: move writes back"));
        assertTrue(back.accepted(), back.toString());
        MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(180, TimeUnit.SECONDS,
            MigrationReport.class);
        ShopRig.mark(timeline, "ROLLED_BACK\tthe first migration ended");
        assertEquals("ROLLED_BACK", report.outcome(), report.toString());
        assertEquals("source", workflow.status().primary());
        assertFalse(ShopRig.readOnly(rig.source), "the source takes writes again");
        assertTrue(ShopRig.readOnly(rig.target), "the target no longer takes the application's writes");
        Thread.sleep(3_000); // and the application goes on writing to the source

        // Switching again: the same plan, so the same workflow id and target database. PREPARE
        // finds the first attempt's copy there, untouched since the rollback, and replaces it.
        MigrationWorkflow again = ShopRig.startMigration(temporal.client(), plan);
        switchOverUnderLoad(rig, again, timeline, "2nd ");
        try (Connection t = rig.target.connect(ShopRig.DATABASE)) {
          assertEquals(0, ShopRig.number(t, "SELECT count(*) FROM phaseshift.rollback"),
              "the first attempt's records went with its copy");
        }
        Thread.sleep(3_000); // the application writes to the target again
        ShopRig.mark(timeline, "AFTER\tthe second switchover");
      } finally {
        totals = load.stop();
        worker.destroyForcibly();
        if (Files.exists(timeline)) {
          System.out.println("the migration as the status showed it (epoch ms, phase, step or wait):\n"
              + Files.readString(timeline));
        }
      }
      rig.assertApplicationUnharmed(totals, rig.target, workerLog);
    }
  }

  /**
   * From PREPARE to RECOVERY under the load: validation passes, sign-off is given, and the
   * re-validation, the freeze and VERIFY follow; RECOVERY keeps the old database in step through
   * the reverse stream.
   */
  private static MigrationStatus switchOverUnderLoad(ShopRig rig, MigrationWorkflow workflow, Path timeline,
      String attempt) throws Exception {
    MigrationStatus waiting = ShopRig.await(workflow,
        s -> s.waitingFor() != null && s.waitingFor().startsWith("approval"), "the wait for sign-off", 180_000,
        timeline, attempt);
    assertTrue(waiting.validation() != null && waiting.validation().passed(),
        "validation under the load passed: " + waiting.validation());
    Decision approved = workflow.approveUpdate(new Approval("alice", "proof under load", null));
    assertTrue(approved.accepted(), approved.toString());
    MigrationStatus switched = ShopRig.await(workflow, s -> s.phase() == Phase.RECOVERY, "RECOVERY", 180_000,
        timeline, attempt);
    assertEquals("target", switched.primary(), switched.toString());
    assertTrue(ShopRig.readOnly(rig.source), "the old database is retired while the target is primary");
    assertFalse(ShopRig.readOnly(rig.target), "the target takes writes");
    return switched;
  }

  private static Path pathProperty(String name) {
    String value = System.getProperty(name);
    return value == null ? null : Path.of(value);
  }
}
