package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bookkeeping schema's migrations on a real target: fresh, left by an older Phaseshift, raced. */
class PgBookkeepingSchemaTest {
  private static final int MIGRATIONS = 9;
  private static final String HISTORY = "phaseshift." + PgBookkeepingSchema.HISTORY_TABLE;

  static PgPair pair;
  PgEndpoint target;

  @BeforeAll
  static void start() {
    pair = new PgPair();
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @BeforeEach
  void reset() throws Exception {
    pair.resetDatabases();
    target = PgEndpoint.target(pair.plan("bookkeeping"));
  }

  @Test
  void aFreshTargetGetsEveryTableWithTheHistoryInsideTheSchema() throws Exception {
    try (Connection t = pair.target()) {
      assertEquals(MIGRATIONS, new PgBookkeepingSchema().bringUpToDate(target, t));
      assertEquals(List.of("client_peaks", "clients_seen", "copy_batch_table", "copy_chunk", "created_roles",
          "flyway_schema_history", "freeze_marker", "rollback", "snapshot_replica", "switchover", "verify_write"), tables(t));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'phaseshift.copy_chunk'::regclass"
          + " AND attname = 'chunk_blocks'"));
      assertEquals("9", text(t, "SELECT max(version::int)::text FROM " + HISTORY + " WHERE success"));
    }
  }

  @Test
  void applyingTwiceIsANoOpInOneWorkerAndInAnother() throws Exception {
    try (Connection t = pair.target()) {
      PgBookkeepingSchema worker = new PgBookkeepingSchema();
      assertEquals(MIGRATIONS, worker.bringUpToDate(target, t));
      assertEquals(0, worker.bringUpToDate(target, t), "known to this worker");
      assertEquals(0, new PgBookkeepingSchema().bringUpToDate(target, t), "Flyway finds nothing to do");
      assertEquals(MIGRATIONS + 1, count(t, "SELECT count(*) FROM " + HISTORY),
          "the schema's creation and each migration, once");
    }
  }

  /** A worker that brought the schema up to date, and the schema dropped since. */
  private PgBookkeepingSchema upToDateThenDropped(Connection t) throws Exception {
    PgBookkeepingSchema worker = new PgBookkeepingSchema();
    worker.bringUpToDate(target, t);
    // As undo, decommission or dropping the target's objects leave it: history gone with the schema.
    exec(t, "DROP SCHEMA phaseshift CASCADE");
    return worker;
  }

  @Test
  void aSchemaDroppedSinceIsCreatedAgain() throws Exception {
    try (Connection t = pair.target()) {
      PgBookkeepingSchema worker = upToDateThenDropped(t);
      assertEquals(MIGRATIONS, worker.bringUpToDate(target, t));
      assertEquals(11, tables(t).size());
    }
  }

  @Test
  void aSchemaBeingCreatedAgainByAnotherWorkerIsNotTakenForComplete() throws Exception {
    try (Connection t = pair.target()) {
      PgBookkeepingSchema worker = upToDateThenDropped(t);
      // Another worker's Flyway half-way: the history is there, the last migrations are not yet.
      org.flywaydb.core.Flyway.configure(PgBookkeepingSchema.class.getClassLoader())
          .dataSource(new PgEndpointDataSource(target)).locations("classpath:db/phaseshift")
          .schemas("phaseshift").table(PgBookkeepingSchema.HISTORY_TABLE).target("1").load().migrate();
      assertEquals(MIGRATIONS - 1, worker.bringUpToDate(target, t), "this worker waits for the whole layout");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'phaseshift.copy_chunk'::regclass"
          + " AND attname = 'chunk_blocks'"));
    }
  }

  @Test
  void anOldLayoutWithoutChunkBlocksUpgradesAndKeepsItsRows() throws Exception {
    upgradesOldLayout(false);
  }

  @Test
  void anOldLayoutWithChunkBlocksUpgradesAndKeepsItsRows() throws Exception {
    upgradesOldLayout(true);
  }

  /** The tables as the hand-written code of earlier versions created them, with rows, and no history. */
  private void upgradesOldLayout(boolean withChunkBlocks) throws Exception {
    try (Connection t = pair.target()) {
      exec(t, "CREATE SCHEMA phaseshift",
          "CREATE TABLE phaseshift.copy_chunk (migration text NOT NULL, table_name text NOT NULL, chunk int NOT NULL,"
              + " snapshot text NOT NULL, rows bigint NOT NULL, bytes bigint NOT NULL,"
              + " copied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, table_name, chunk))",
          "INSERT INTO phaseshift.copy_chunk (migration, table_name, chunk, snapshot, rows, bytes)"
              + " VALUES ('old', 'public.orders', 0, 'snap', 10, 800), ('old', 'public.orders', 1, 'snap', 7, 560)",
          "CREATE TABLE phaseshift.switchover (migration text PRIMARY KEY, write_freeze_millis bigint NOT NULL,"
              + " final_lsn text NOT NULL, sequences_copied int NOT NULL, sessions_terminated int NOT NULL,"
              + " source_writes bigint NOT NULL, switched_at timestamptz NOT NULL DEFAULT now())",
          "INSERT INTO phaseshift.switchover (migration, write_freeze_millis, final_lsn, sequences_copied,"
              + " sessions_terminated, source_writes) VALUES ('old', 120, '0/1A2B3C4', 2, 1, 99)");
      if (withChunkBlocks) {
        exec(t, "ALTER TABLE phaseshift.copy_chunk ADD COLUMN chunk_blocks int",
            "UPDATE phaseshift.copy_chunk SET chunk_blocks = 8192 WHERE chunk = 1");
      }

      assertEquals(MIGRATIONS, new PgBookkeepingSchema().bringUpToDate(target, t));

      assertEquals(2, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'old'"));
      assertEquals(17, count(t, "SELECT sum(rows) FROM phaseshift.copy_chunk"));
      assertEquals(withChunkBlocks ? 1 : 0, count(t, "SELECT count(*) FROM phaseshift.copy_chunk"
          + " WHERE chunk_blocks = 8192"), "recorded chunk sizes stay");
      assertEquals(1, count(t, "SELECT count(*) FROM phaseshift.switchover WHERE final_lsn = '0/1A2B3C4'"));
      assertEquals(List.of("client_peaks", "clients_seen", "copy_batch_table", "copy_chunk", "created_roles",
          "flyway_schema_history", "freeze_marker", "rollback", "snapshot_replica", "switchover", "verify_write"), tables(t));
      assertEquals("0", text(t, "SELECT version FROM " + HISTORY + " WHERE type = 'BASELINE'"),
          "marked as the layout before the first migration");
      assertEquals(MIGRATIONS, count(t, "SELECT count(*) FROM " + HISTORY + " WHERE type = 'SQL' AND success"));
    }
  }

  @Test
  void readOnlyTargetStillGetsItsBookkeeping() throws Exception {
    try (Connection t = pair.target()) {
      // As a rollback leaves the target.
      exec(t, "ALTER DATABASE " + PgPair.DATABASE + " SET default_transaction_read_only = on");
      try {
        assertEquals(MIGRATIONS, new PgBookkeepingSchema().bringUpToDate(target, t));
      } finally {
        exec(t, "ALTER DATABASE " + PgPair.DATABASE + " RESET default_transaction_read_only");
      }
    }
  }

  @Test
  void workersMigratingOneFreshTargetAtOnceApplyEachMigrationOnce() throws Exception {
    int workers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> applied = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        applied.add(pool.submit(() -> {
          try (Connection t = pair.target()) {
            start.await();
            return new PgBookkeepingSchema().bringUpToDate(target, t);
          }
        }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> f : applied) total += f.get(2, TimeUnit.MINUTES);
      assertEquals(MIGRATIONS, total, "every migration applied by exactly one worker");
      try (Connection t = pair.target()) {
        assertEquals(MIGRATIONS, count(t, "SELECT count(DISTINCT version) FROM " + HISTORY + " WHERE type = 'SQL'"));
        assertEquals(MIGRATIONS, count(t, "SELECT count(*) FROM " + HISTORY + " WHERE type = 'SQL'"));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<String> tables(Connection t) throws Exception {
    List<String> names = new ArrayList<>();
    try (var st = t.createStatement(); var rs = st.executeQuery(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'phaseshift' ORDER BY 1")) {
      while (rs.next()) names.add(rs.getString(1));
    }
    return names;
  }
}
