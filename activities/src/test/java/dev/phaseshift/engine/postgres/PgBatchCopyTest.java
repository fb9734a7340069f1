package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A batch of small tables copies on two sessions; a batch that dies part way resumes after the
 * tables it committed, and a table too large for one chunk still gets its chunked copy.
 */
class PgBatchCopyTest {
  static final int SMALL = 30;
  static final int WIDE_ROWS = 40_000;

  static PgPair pair;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    List<String> source = new ArrayList<>();
    List<String> target = new ArrayList<>();
    for (int i = 1; i <= SMALL; i++) {
      String ddl = "CREATE TABLE public.t" + i + " (id int PRIMARY KEY, v text)";
      source.add(ddl);
      source.add("INSERT INTO public.t" + i + " SELECT g, md5(g::text) FROM generate_series(1, " + i + ") g");
      target.add(ddl);
    }
    String wide = "CREATE TABLE public.wide (id int PRIMARY KEY, v text)";
    source.add(wide);
    source.add("INSERT INTO public.wide SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, " + WIDE_ROWS + ") g");
    target.add(wide);
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, source.toArray(String[]::new));
      exec(t, target.toArray(String[]::new));
    }
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @Test
  void aBatchKilledPartWayResumesAfterTheTablesItCommitted() throws Exception {
    MigrationPlan plan = pair.plan("batch");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    // 64 blocks (512 KiB) per chunk, so the wide table spans several chunks.
    PgBulkCopier copier = new PgBulkCopier(holder, 64);
    List<TableInfo> tables = new ArrayList<>();
    for (int i = 1; i <= SMALL; i++) tables.add(table("public", "t" + i));
    tables.add(table("public", "wide"));
    CopyBatch batch = new CopyBatch("batch 1/1", tables);
    ChangeCapture capture = stream.start(plan);
    try {
      // Rows written after the snapshot must not reach the target through the copy.
      try (Connection s = pair.source()) {
        exec(s, "INSERT INTO public.t1 VALUES (1000, 'after the snapshot')");
      }

      Heartbeat dieAfterTwelveTables = progress -> {
        if (progress.chunksDone() == 12) throw new IllegalStateException("worker killed");
      };
      IllegalStateException killed = assertThrows(IllegalStateException.class,
          () -> copier.copyBatch(plan, capture, batch, dieAfterTwelveTables));
      assertEquals("worker killed", killed.getMessage());
      try (Connection t = pair.target()) {
        assertEquals(12, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'batch'"));
        assertEquals(12, count(t, "SELECT count(*) FROM public.t12"));
        assertEquals(0, count(t, "SELECT count(*) FROM public.t13"));
      }

      BatchCopyResult result = copier.copyBatch(plan, capture, batch, Heartbeat.NONE);
      assertEquals(SMALL + 1, result.tables().size());
      assertEquals(12, result.tables().stream().filter(r -> r.resumedChunks() == 1 && r.chunks() == 1).count(),
          result.toString());
      TableCopyResult wideResult = result.tables().get(SMALL);
      assertTrue(wideResult.chunks() > 1, "the wide table is copied in chunks: " + wideResult);
      assertEquals(WIDE_ROWS, wideResult.rows());
      try (Connection t = pair.target()) {
        for (int i = 1; i <= SMALL; i++) {
          assertEquals(i, count(t, "SELECT count(*) FROM public.t" + i), "t" + i);
        }
        assertEquals(WIDE_ROWS, count(t, "SELECT count(*) FROM public.wide"));
      }

      BatchCopyResult again = copier.copyBatch(plan, capture, batch, Heartbeat.NONE);
      assertTrue(again.tables().stream().allMatch(r -> r.resumedChunks() == r.chunks()), "nothing is copied twice: " + again);
      try (Connection t = pair.target()) {
        assertEquals(1, count(t, "SELECT count(*) FROM public.t1"));
      }
    } finally {
      stream.undo(plan);
    }
  }
}
