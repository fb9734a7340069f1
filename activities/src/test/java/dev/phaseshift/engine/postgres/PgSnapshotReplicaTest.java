package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker that created the slot and exported the snapshot dies in the middle of the copy
 * (its replication session ends, as with kill -9) while the application writes. A replica of the
 * snapshot held by another worker keeps the copy going: the slices resume after their committed
 * chunks under the same snapshot, nothing is copied twice, and the slot's stream on top makes both
 * sides identical. Without a replica the copy is told, as before, that it must start over.
 */
class PgSnapshotReplicaTest {
  static PgPair pair;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    StreamTesting.fastFeedback(pair);
    OrdersUnderWrites.create(pair);
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @Test
  void theCopyOutlivesTheSnapshotsWorkerThroughAReplicaAndCopiesNothingTwice() throws Exception {
    MigrationPlan plan = pair.plan("replica");
    SnapshotHolder exporter = new SnapshotHolder();
    SnapshotHolder survivor = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(exporter);
    TableInfo orders = table("public", "orders");

    try (StreamTesting.Writer writer = OrdersUnderWrites.start(pair)) {
      Thread.sleep(200);
      ChangeCapture capture = stream.start(plan);

      // The exporter's own process will not hold the replica: it would die with it.
      assertFalse(new SnapshotReplica(exporter).hold(plan, capture, Heartbeat.NONE));

      AtomicBoolean copyOver = new AtomicBoolean();
      CompletableFuture<Void> replica = CompletableFuture.runAsync(() -> new SnapshotReplica(survivor)
          .hold(plan, capture, progress -> {
            if (copyOver.get()) throw new IllegalStateException("cancelled: the copy is over");
          }));
      awaitReplicaRecorded(plan);

      // Slice 1 of 2 commits three chunks, then its worker (the exporter) dies mid-copy.
      CountDownLatch threeChunks = new CountDownLatch(1);
      TableSlice first = new TableSlice(orders, 0, 2);
      assertThrows(IllegalStateException.class, () -> new PgBulkCopier(exporter, 64).copySlice(plan, capture, first,
          progress -> {
            if (progress.chunksDone() == 3) {
              threeChunks.countDown();
              throw new IllegalStateException("worker killed");
            }
          }));
      assertTrue(threeChunks.await(1, TimeUnit.SECONDS));
      exporter.releaseAll();

      // Both slices now run on the surviving worker, which cannot import the original any more.
      PgBulkCopier copier = new PgBulkCopier(survivor, 64);
      TableCopyResult a = copier.copySlice(plan, capture, first, Heartbeat.NONE);
      TableCopyResult b = copier.copySlice(plan, capture, new TableSlice(orders, 1, 2), Heartbeat.NONE);
      assertEquals(3, a.resumedChunks(), "the dead worker's committed chunks are kept: " + a);
      assertEquals(0, b.resumedChunks());
      try (Connection t = pair.target()) {
        assertEquals(a.rows() + b.rows(), count(t, "SELECT count(*) FROM orders"));
        // Fails if a row was copied twice, which rows of two points in time would risk; the stream
        // needs the key on the target too.
        exec(t, "ALTER TABLE orders ADD PRIMARY KEY (id)");
      }

      copyOver.set(true);
      // The holder ends when its heartbeat says the copy is over (in a worker: the activity's cancellation).
      java.util.concurrent.ExecutionException ended = assertThrows(java.util.concurrent.ExecutionException.class,
          () -> replica.get(30, TimeUnit.SECONDS));
      assertEquals("cancelled: the copy is over", ended.getCause().getMessage());
      try (Connection t = pair.target()) {
        assertEquals(0, count(t, "SELECT count(*) FROM " + SnapshotReplica.TABLE), "a released replica is forgotten");
      }
      // Without any replica, a copy learns that the snapshot is gone and the copy must start over.
      MigrationException lost = assertThrows(MigrationException.class,
          () -> copier.copySlice(plan, capture, first, Heartbeat.NONE));
      assertEquals(FailureTypes.SNAPSHOT_LOST, lost.type());

      stream.attach(plan, capture);
      Thread.sleep(500);
      writer.stop();
    }

    awaitDrained(stream, plan, Duration.ofSeconds(60));
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "orders");
    }
    stream.undo(plan);
  }

  private static void awaitReplicaRecorded(MigrationPlan plan) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Connection t = pair.target()) {
        if (CopyLedger.bookkeepingExists(t)
            && count(t, "SELECT count(*) FROM " + SnapshotReplica.TABLE + " WHERE migration = '" + plan.name() + "'") > 0) {
          return;
        }
      } catch (java.sql.SQLException notYet) {
        // The bookkeeping is being created.
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no replica recorded within 20 s");
  }
}
