package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A copy that dies after some chunks resumes after them, and the result is still exact. */
class PgCopyResumeTest {
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
  void aCopyResumedWithAnotherChunkSizeKeepsTheChunksItWasCutInto() throws Exception {
    MigrationPlan plan = pair.plan("resize");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    try (Connection t = pair.target()) {
      exec(t, "TRUNCATE orders", "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_pkey");
      // As a version without recorded chunk sizes left its bookkeeping: no such column, and no
      // migration history (that came later still).
      if (CopyLedger.bookkeepingExists(t)) {
        exec(t, "ALTER TABLE phaseshift.copy_chunk DROP COLUMN chunk_blocks",
            "DROP TABLE IF EXISTS phaseshift." + PgBookkeepingSchema.HISTORY_TABLE);
      }
    }
    ChangeCapture capture = stream.start(plan);
    try {
      Heartbeat dieAfterThreeChunks = progress -> {
        if (progress.chunksDone() == 3) throw new IllegalStateException("worker killed");
      };
      assertThrows(IllegalStateException.class, () -> new PgBulkCopier(holder, 64)
          .copy(plan, capture, table("public", "orders"), dieAfterThreeChunks));

      // The next attempt runs a version whose chunks are three times as long.
      TableCopyResult result = new PgBulkCopier(holder, 192)
          .copy(plan, capture, table("public", "orders"), Heartbeat.NONE);

      assertEquals(3, result.resumedChunks(), result.toString());
      try (Connection s = pair.source(); Connection t = pair.target()) {
        long blocks = count(s, "SELECT pg_relation_size('orders') / 8192");
        assertEquals((blocks + 63) / 64, result.chunks(), "cut into 64-block chunks, as the first attempt was");
        assertEquals(count(s, "SELECT count(*) FROM orders"), count(t, "SELECT count(*) FROM orders"));
        assertEquals(0, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'resize'"
            + " AND chunk_blocks IS DISTINCT FROM 64"));
        // Fails if a row was copied twice.
        exec(t, "ALTER TABLE orders ADD PRIMARY KEY (id)", "ALTER TABLE orders DROP CONSTRAINT orders_pkey");
      }
    } finally {
      stream.undo(plan);
      try (Connection t = pair.target()) {
        exec(t, "TRUNCATE orders");
      }
    }
  }

  @Test
  void interruptedCopyResumesAfterCommittedChunks() throws Exception {
    MigrationPlan plan = pair.plan("resume");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    // 64 blocks (512 KiB) per chunk, so the table spans a dozen or more chunks.
    PgBulkCopier copier = new PgBulkCopier(holder, 64);

    try (StreamTesting.Writer writer = OrdersUnderWrites.start(pair)) {
      Thread.sleep(200);
      ChangeCapture capture = stream.start(plan);

      Heartbeat dieAfterTwoChunks = progress -> {
        if (progress.chunksDone() == 2) throw new IllegalStateException("worker killed");
      };
      IllegalStateException killed = assertThrows(IllegalStateException.class,
          () -> copier.copy(plan, capture, table("public", "orders"), dieAfterTwoChunks));
      assertEquals("worker killed", killed.getMessage());

      long partialRows;
      try (Connection t = pair.target()) {
        partialRows = count(t, "SELECT count(*) FROM orders");
        assertEquals(2, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'resume'"));
        assertEquals(partialRows, count(t, "SELECT sum(rows) FROM phaseshift.copy_chunk WHERE migration = 'resume'"),
            "the target holds exactly the rows of the recorded chunks");
        assertTrue(partialRows > 0);
      }

      // More writes land on the source between the attempts; the snapshot does not see them.
      Thread.sleep(300);
      TableCopyResult result = copier.copy(plan, capture, table("public", "orders"), Heartbeat.NONE);
      assertEquals(2, result.resumedChunks(), result.toString());
      assertTrue(result.chunks() > 10, result.toString());

      try (Connection t = pair.target()) {
        assertEquals(result.rows(), count(t, "SELECT count(*) FROM orders"));
        // Fails if a chunk was copied twice.
        exec(t, "ALTER TABLE orders ADD PRIMARY KEY (id)");
      }

      TableCopyResult again = copier.copy(plan, capture, table("public", "orders"), Heartbeat.NONE);
      // Chunks past the first attempt's end (the table may have grown) hold no snapshot rows.
      assertTrue(again.resumedChunks() >= result.chunks(), "a finished copy is not redone: " + again);
      assertEquals(result.rows(), again.rows());
      try (Connection t = pair.target()) {
        assertEquals(result.rows(), count(t, "SELECT count(*) FROM orders"));
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
