package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slices of one table copied at the same time by copiers of two "workers" (two snapshot holders:
 * only one exported the snapshot) while the application writes and the table grows: every row of
 * the snapshot lands once, a killed slice resumes after its own chunks, and with the stream on
 * top both sides end identical.
 */
class PgSliceCopyTest {
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
  void slicesOnTwoWorkersCopyEveryRowOnceUnderWritesAndAKilledSliceResumes() throws Exception {
    MigrationPlan plan = pair.plan("sliced");
    SnapshotHolder exporter = new SnapshotHolder();
    SnapshotHolder otherWorker = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(exporter);
    // 64 blocks (512 KiB) per chunk: a dozen or more chunks, several per slice.
    PgBulkCopier workerA = new PgBulkCopier(exporter, 64);
    PgBulkCopier workerB = new PgBulkCopier(otherWorker, 64);
    TableInfo orders = table("public", "orders");

    try (StreamTesting.Writer writer = OrdersUnderWrites.start(pair)) {
      Thread.sleep(200);
      ChangeCapture capture = stream.start(plan);
      int slices = 3;
      Heartbeat dieAfterOneChunk = progress -> {
        if (progress.chunksDone() == 1) throw new IllegalStateException("worker killed");
      };
      assertThrows(IllegalStateException.class,
          () -> workerB.copySlice(plan, capture, new TableSlice(orders, 1, slices), dieAfterOneChunk));

      List<CompletableFuture<TableCopyResult>> running = new ArrayList<>();
      for (int i = 0; i < slices; i++) {
        TableSlice slice = new TableSlice(orders, i, slices);
        PgBulkCopier copier = i % 2 == 0 ? workerA : workerB;
        running.add(CompletableFuture.supplyAsync(() -> copier.copySlice(plan, capture, slice, Heartbeat.NONE)));
      }
      long rows = 0;
      int chunks = 0;
      int resumed = 0;
      for (CompletableFuture<TableCopyResult> f : running) {
        TableCopyResult r = f.get();
        assertTrue(r.chunks() > 1, "every slice copies several chunks: " + r);
        rows += r.rows();
        chunks += r.chunks();
        resumed += r.resumedChunks();
      }
      assertEquals(1, resumed, "the killed slice keeps its one committed chunk");

      try (Connection s = pair.source(); Connection t = pair.target()) {
        assertEquals(rows, count(t, "SELECT count(*) FROM orders"));
        assertEquals(chunks, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'sliced'"));
        long blocks = count(s, "SELECT pg_relation_size('orders') / 8192");
        assertTrue(chunks >= (blocks + 63) / 64 - 1, chunks + " chunks for " + blocks + " blocks");
        // Fails if a row was copied twice.
        exec(t, "ALTER TABLE orders ADD PRIMARY KEY (id)");
      }

      // A slice may not run beside a whole-table copy, nor twice at once.
      try (Connection t = pair.target()) {
        CopyLedger.lockSlice(t, plan, new TableSlice(orders, 0, slices));
        IllegalStateException whole = assertThrows(IllegalStateException.class,
            () -> workerA.copy(plan, capture, orders, Heartbeat.NONE));
        assertTrue(whole.getMessage().contains("another attempt is still copying"), whole.getMessage());
        IllegalStateException twice = assertThrows(IllegalStateException.class,
            () -> workerB.copySlice(plan, capture, new TableSlice(orders, 0, slices), Heartbeat.NONE));
        assertTrue(twice.getMessage().contains("slice 1/3"), twice.getMessage());
      }

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
}
