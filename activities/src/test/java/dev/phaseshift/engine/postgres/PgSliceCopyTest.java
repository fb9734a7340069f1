package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.sourceOf;
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
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
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
  static final int ROWS = 60_000;
  static final String ORDERS = "CREATE TABLE public.orders (id bigint NOT NULL, customer int,"
      + " total numeric(12,2), status text, placed timestamptz, lines jsonb)";

  static PgPair pair;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    StreamTesting.fastFeedback(pair);
    try (Connection s = pair.source()) {
      exec(s, ORDERS, "ALTER TABLE orders ADD PRIMARY KEY (id)",
          "INSERT INTO orders SELECT g, g % 1000, g / 7.0, 'open',"
              + " timestamptz '2024-06-01 00:00:00+00' + g * interval '1 minute',"
              + " jsonb_build_array(jsonb_build_object('sku', md5(g::text), 'qty', g % 9))"
              + " FROM generate_series(1, " + ROWS + ") g",
          "ANALYZE orders");
    }
    try (Connection t = pair.target()) {
      exec(t, ORDERS);
    }
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
    AtomicLong nextId = new AtomicLong(1_000_000);

    try (StreamTesting.Writer writer = new StreamTesting.Writer(sourceOf(pair), (c, random) -> {
      try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO orders VALUES (?, 1, 9.99, 'new', now(), '[]')");
          PreparedStatement upd = c.prepareStatement(
              "UPDATE orders SET status = 'paid', total = total + 1, lines = lines || '[1]' WHERE id = ?");
          PreparedStatement del = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
        ins.setLong(1, nextId.incrementAndGet());
        ins.executeUpdate();
        upd.setLong(1, 1 + random.nextLong(ROWS));
        upd.executeUpdate();
        del.setLong(1, 1 + random.nextLong(ROWS));
        del.executeUpdate();
      }
    })) {
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
