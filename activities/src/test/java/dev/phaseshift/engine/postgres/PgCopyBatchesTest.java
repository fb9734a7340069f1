package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batches planned on the servers: the workflow gets references, the target keeps each batch's
 * tables, and the copy of a reference copies exactly those tables.
 */
class PgCopyBatchesTest {
  static final int TABLES = 150;

  static PgPair pair;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    String tenants = "DO $$ BEGIN FOR i IN 1.." + TABLES + " LOOP"
        + " EXECUTE format('CREATE TABLE public.tenant_%s (id int PRIMARY KEY, v text)', i);{rows} END LOOP; END $$";
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, tenants.replace("{rows}", " EXECUTE format('INSERT INTO public.tenant_%s"
          + " SELECT g, md5(g::text) FROM generate_series(1, %s) g', i, i % 7 + 1);"));
      exec(t, tenants.replace("{rows}", ""));
    }
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @Test
  void storedBatchesCopyEveryTableOnceAndAReplanReplacesThem() throws Exception {
    MigrationPlan plan = pair.plan("stored");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    PgBulkCopier copier = new PgBulkCopier(holder, 64);

    List<CopyBatch> batches = copier.planBatches(plan);
    List<CopyBatch> replanned = copier.planBatches(plan);

    assertEquals(batches, replanned);
    assertTrue(batches.size() > 1, batches.toString());
    assertTrue(batches.stream().allMatch(b -> b.stored() != null && b.tables().isEmpty()), batches.toString());
    assertEquals(TABLES, batches.stream().mapToInt(CopyBatch::tableCount).sum());
    try (Connection t = pair.target()) {
      assertEquals(TABLES, count(t, "SELECT count(*) FROM phaseshift.copy_batch_table WHERE migration = 'stored'"));
      assertEquals(TABLES, count(t, "SELECT count(DISTINCT table_name) FROM phaseshift.copy_batch_table"));
    }
    ChangeCapture capture = stream.start(plan);
    try {
      int copied = 0;
      for (CopyBatch batch : batches) {
        BatchCopyResult result = copier.copyBatch(plan, capture, batch, Heartbeat.NONE);
        assertEquals(batch.tableCount(), result.tableCount(), result.toString());
        copied += result.tableCount();
      }
      assertEquals(TABLES, copied);
      try (Connection t = pair.target()) {
        for (int i = 1; i <= TABLES; i++) {
          assertEquals(i % 7 + 1, count(t, "SELECT count(*) FROM public.tenant_" + i), "tenant_" + i);
        }
        // Bookkeeping gone under a running copy: the batch says so instead of copying nothing.
        exec(t, "DELETE FROM phaseshift.copy_batch_table WHERE batch = " + batches.get(0).stored().number());
      }
      MigrationException lost = assertThrows(MigrationException.class,
          () -> copier.copyBatch(plan, capture, batches.get(0), Heartbeat.NONE));
      assertEquals(FailureTypes.PREREQUISITE, lost.type());
      assertNotNull(lost.getMessage());
      assertTrue(lost.getMessage().contains("0 of its " + batches.get(0).tableCount() + " tables"), lost.getMessage());
    } finally {
      stream.undo(plan);
    }
  }
}
