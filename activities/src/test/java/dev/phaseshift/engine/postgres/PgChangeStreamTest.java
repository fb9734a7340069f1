package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Snapshot loss, reset, restart and undo of the change capture, against real servers. */
class PgChangeStreamTest {
  static PgPair pair;

  @BeforeAll
  static void start() {
    pair = new PgPair();
    StreamTesting.fastFeedback(pair);
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  /** A plan that moves only the tables of one schema, so tests in this class stay apart. */
  static MigrationPlan plan(String name, String schema) {
    MigrationPlan p = pair.plan(name);
    return new MigrationPlan(p.name(), p.source(), p.target(),
        new TableSelection(List.of(schema + ".*"), List.of()), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy());
  }

  /** Creates {@code schema.accounts} with rows on the source and empty, without key, on the target. */
  static TableInfo accounts(String schema, int rows) throws Exception {
    String ddl = "CREATE TABLE " + schema + ".accounts (id bigint NOT NULL, owner text, balance numeric)";
    try (Connection s = pair.source()) {
      exec(s, "CREATE SCHEMA " + schema, ddl, "ALTER TABLE " + schema + ".accounts ADD PRIMARY KEY (id)",
          "INSERT INTO " + schema + ".accounts SELECT g, md5(g::text), g * 3.5"
              + " FROM generate_series(1, " + rows + ") g");
    }
    try (Connection t = pair.target()) {
      exec(t, "CREATE SCHEMA " + schema, ddl);
    }
    return table(schema, "accounts");
  }

  @Test
  void anyWorkerCopiesUnderTheSnapshotWhileItsExporterLivesThenSnapshotLostAndResetThenStartRecovers()
      throws Exception {
    MigrationPlan plan = plan("lost", "lost");
    TableInfo accounts = accounts("lost", 20_000);
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    PgBulkCopier copier = new PgBulkCopier(holder, 16);
    ChangeCapture capture = stream.start(plan);

    // Another worker process, with a holder of its own that lacks this snapshot, imports it by
    // name: part of the table arrives before that copy is stopped.
    PgBulkCopier elsewhere = new PgBulkCopier(new SnapshotHolder(), 16);
    assertThrows(IllegalStateException.class, () -> elsewhere.copy(plan, capture, accounts, p -> {
      if (p.chunksDone() == 1) throw new IllegalStateException("stop");
    }));
    try (Connection t = pair.target()) {
      assertTrue(count(t, "SELECT count(*) FROM lost.accounts") > 0);
    }

    ChangeCapture otherSnapshot = new ChangeCapture(capture.stream(), "00000003-00000002-1", capture.start());
    assertEquals(FailureTypes.SNAPSHOT_LOST, assertThrows(MigrationException.class,
        () -> copier.copy(plan, otherSnapshot, accounts, Heartbeat.NONE)).type());
    assertEquals(capture.snapshot(), holder.get(PgNames.slot(capture)).orElseThrow().snapshotName(),
        "a copy naming a stale snapshot leaves the live one held");

    // The exporting worker dies: no worker can copy under its snapshot any more.
    holder.get(PgNames.slot(capture)).orElseThrow().connection().close();
    awaitNoSnapshotSession(PgNames.slot(capture));
    MigrationException lost = assertThrows(MigrationException.class,
        () -> elsewhere.copy(plan, capture, accounts, Heartbeat.NONE));
    assertEquals(FailureTypes.SNAPSHOT_LOST, lost.type());
    assertTrue(lost.getMessage().contains(PgNames.slot(capture)), lost.getMessage());
    assertEquals(FailureTypes.SNAPSHOT_LOST, assertThrows(MigrationException.class,
        () -> copier.copy(plan, capture, accounts, Heartbeat.NONE)).type());
    assertTrue(holder.get(PgNames.slot(capture)).isEmpty(), "a dead snapshot is no longer held");
    try (Connection t = pair.target()) {
      assertTrue(count(t, "SELECT count(*) FROM lost.accounts") > 0);
    }

    stream.reset(plan);
    stream.reset(plan);
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertFalse(StreamTesting.slots(s).contains(PgNames.slot(capture)));
      assertEquals(0, count(t, "SELECT count(*) FROM lost.accounts"));
      assertEquals(0, count(t, "SELECT count(*) FROM phaseshift.copy_chunk WHERE migration = 'lost'"));
    }

    ChangeCapture again = stream.start(plan);
    assertNotEquals(capture.snapshot(), again.snapshot());
    assertEquals(FailureTypes.SNAPSHOT_LOST, assertThrows(MigrationException.class,
        () -> copier.copy(plan, capture, accounts, Heartbeat.NONE)).type());

    // Written after the snapshot: the stream, not the copy, brings these.
    try (Connection s = pair.source()) {
      exec(s, "INSERT INTO lost.accounts VALUES (100001, 'late', 1)",
          "UPDATE lost.accounts SET balance = 0 WHERE id <= 10",
          "DELETE FROM lost.accounts WHERE id BETWEEN 11 AND 20");
    }
    TableCopyResult result = copier.copy(plan, again, accounts, Heartbeat.NONE);
    assertEquals(20_000, result.rows());
    assertEquals(0, result.resumedChunks());
    try (Connection t = pair.target()) {
      exec(t, "ALTER TABLE lost.accounts ADD PRIMARY KEY (id)");
    }
    stream.attach(plan, again);
    awaitDrained(stream, plan, Duration.ofSeconds(30));
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "lost.accounts");
    }
    stream.undo(plan);
  }

  @Test
  void startInAnotherProcessReplacesTheSlotAndTheCopyDiscardsChunksOfTheOldSnapshot() throws Exception {
    MigrationPlan plan = plan("moved", "moved");
    TableInfo accounts = accounts("moved", 20_000);
    SnapshotHolder first = new SnapshotHolder();
    ChangeCapture old = new PgChangeStream(first).start(plan);
    assertThrows(IllegalStateException.class, () -> new PgBulkCopier(first, 16).copy(plan, old, accounts, p -> {
      if (p.chunksDone() == 2) throw new IllegalStateException("worker crashed");
    }));
    first.releaseAll();

    SnapshotHolder second = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(second);
    ChangeCapture capture = stream.start(plan);
    assertEquals(PgNames.slot(old), PgNames.slot(capture));
    assertNotEquals(old.snapshot(), capture.snapshot());
    assertEquals(capture, stream.start(plan));
    try (Connection s = pair.source()) {
      exec(s, "DELETE FROM moved.accounts WHERE id <= 100");
    }

    TableCopyResult result = new PgBulkCopier(second, 16).copy(plan, capture, accounts, Heartbeat.NONE);
    assertEquals(0, result.resumedChunks(), "chunks of the old snapshot are not reused");
    assertEquals(20_000, result.rows());
    try (Connection t = pair.target()) {
      assertEquals(20_000, count(t, "SELECT count(*) FROM moved.accounts"));
      exec(t, "ALTER TABLE moved.accounts ADD PRIMARY KEY (id)");
    }
    stream.attach(plan, capture);
    awaitDrained(stream, plan, Duration.ofSeconds(30));
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "moved.accounts");
    }
    stream.undo(plan);
  }

  @Test
  void publicationHoldsExactlyTheSelectedTables() throws Exception {
    try (Connection s = pair.source()) {
      exec(s, "CREATE SCHEMA sel", "CREATE TABLE sel.a (id int PRIMARY KEY)",
          "CREATE TABLE sel.b (id int PRIMARY KEY)", "CREATE TABLE sel.skip (id int PRIMARY KEY)",
          "CREATE TABLE sel.p (id int, k int) PARTITION BY RANGE (k)",
          "CREATE TABLE sel.p_1 PARTITION OF sel.p FOR VALUES FROM (0) TO (10)");
    }
    MigrationPlan base = plan("sel", "sel");
    MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(),
        new TableSelection(List.of("sel.*"), List.of("sel.skip")), base.copyParallelism(), base.cutover(),
        base.approvalRequired(), base.retention(), base.requestedBy());
    PgChangeStream stream = new PgChangeStream(new SnapshotHolder());
    stream.start(plan);
    // Besides the selected tables, the freeze's marker (FreezeMarker), which is no application table.
    assertEquals(List.of("phaseshift.freeze_marker", "sel.a", "sel.b", "sel.p"), publishedTables(plan));

    MigrationPlan narrower = new MigrationPlan(base.name(), base.source(), base.target(),
        new TableSelection(List.of("sel.a"), List.of()), base.copyParallelism(), base.cutover(),
        base.approvalRequired(), base.retention(), base.requestedBy());
    stream.reset(narrower);
    stream.start(narrower);
    assertEquals(List.of("phaseshift.freeze_marker", "sel.a"), publishedTables(narrower));
    stream.undo(narrower);
  }

  @Test
  void attachOnAnotherWorkerEndsTheSessionHoldingTheSnapshot() throws Exception {
    MigrationPlan plan = plan("elsewhere", "elsewhere");
    TableInfo accounts = accounts("elsewhere", 1_000);
    SnapshotHolder copyWorker = new SnapshotHolder();
    ChangeCapture capture = new PgChangeStream(copyWorker).start(plan);
    try (Connection s = pair.source()) {
      assertEquals(Boolean.FALSE, Sql.one(s, "SELECT active FROM pg_replication_slots WHERE slot_name = ?",
          rs -> rs.getBoolean(1), PgNames.slot(capture)), "holding the snapshot does not occupy the slot");
    }
    new PgBulkCopier(copyWorker, 16).copy(plan, capture, accounts, Heartbeat.NONE);
    try (Connection t = pair.target()) {
      exec(t, "ALTER TABLE elsewhere.accounts ADD PRIMARY KEY (id)");
    }

    PgChangeStream otherWorker = new PgChangeStream(new SnapshotHolder());
    otherWorker.attach(plan, capture);
    awaitNoSnapshotSession(PgNames.slot(capture));
    try (Connection s = pair.source()) {
      exec(s, "UPDATE elsewhere.accounts SET owner = 'moved' WHERE id % 10 = 0");
    }
    awaitDrained(otherWorker, plan, Duration.ofSeconds(30));
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "elsewhere.accounts");
    }
    otherWorker.undo(plan);
  }

  /** Closing or terminating a session does not wait for its server process, which ends the snapshot. */
  private static void awaitNoSnapshotSession(String slot) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    try (Connection s = pair.source()) {
      while (count(s, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
          + SnapshotHolder.sessionName(slot) + "'") > 0) {
        assertTrue(System.currentTimeMillis() < deadline, "the session exporting the snapshot did not end");
        Thread.sleep(50);
      }
    }
  }

  private static List<String> publishedTables(MigrationPlan plan) throws Exception {
    try (Connection s = pair.source()) {
      return Sql.query(s, "SELECT n.nspname || '.' || c.relname FROM pg_publication_rel r"
              + " JOIN pg_publication p ON p.oid = r.prpubid JOIN pg_class c ON c.oid = r.prrelid"
              + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = ? ORDER BY 1",
          rs -> rs.getString(1), PgNames.publication(plan));
    }
  }

  @Test
  void copiesUserDefinedTypesGeneratedAndDroppedColumns() throws Exception {
    String[] types = {
      "CREATE TYPE typ.mood AS ENUM ('sad', 'ok', 'happy')",
      "CREATE TYPE typ.point3 AS (x int, y int, z int)"
    };
    String ddl = "CREATE TABLE typ.things (id int NOT NULL, mood typ.mood, moods typ.mood[],"
        + " p typ.point3, ps typ.point3[], g int GENERATED ALWAYS AS (id * 2) STORED)";
    try (Connection s = pair.source()) {
      exec(s, "CREATE SCHEMA typ", types[0], types[1], ddl,
          "ALTER TABLE typ.things ADD COLUMN gone text", "ALTER TABLE typ.things DROP COLUMN gone",
          "INSERT INTO typ.things (id, mood, moods, p, ps) SELECT g, 'ok', ARRAY['sad', 'happy']::typ.mood[],"
              + " ROW(g, g + 1, g + 2)::typ.point3, ARRAY[ROW(g, 0, 0)::typ.point3] FROM generate_series(1, 2000) g");
    }
    try (Connection t = pair.target()) {
      // Other type OIDs than on the source, as on any real target.
      exec(t, "CREATE SCHEMA typ", "CREATE TYPE typ.pad AS ENUM ('x')", types[1], types[0], ddl);
    }
    MigrationPlan plan = plan("types", "typ");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    ChangeCapture capture = stream.start(plan);
    TableCopyResult result = new PgBulkCopier(holder, 16).copy(plan, capture, table("typ", "things"), Heartbeat.NONE);
    assertEquals(2000, result.rows());
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "typ.things");
    }
    stream.undo(plan);
  }

  @Test
  void undoLeavesTheSourceAsBeforeAndCanRunAnyNumberOfTimes() throws Exception {
    PgChangeStream stream = new PgChangeStream(new SnapshotHolder());
    MigrationPlan nothing = plan("never-started", "never");
    stream.undo(nothing);
    stream.undo(nothing);

    MigrationPlan plan = plan("undo", "undo");
    SnapshotHolder holder = new SnapshotHolder();
    stream = new PgChangeStream(holder);
    TableInfo accounts = accounts("undo", 5_000);
    ChangeCapture capture = stream.start(plan);
    new PgBulkCopier(holder, 16).copy(plan, capture, accounts, Heartbeat.NONE);
    stream.attach(plan, capture);
    try (Connection s = pair.source()) {
      // What a write freeze at switchover leaves behind if the worker dies during it.
      exec(s, "ALTER DATABASE " + PgPair.DATABASE + " SET default_transaction_read_only = on");
    }

    stream.undo(plan);
    assertUndone(plan);
    stream.undo(plan);
    assertUndone(plan);
    try (Connection s = pair.source()) {
      exec(s, "INSERT INTO undo.accounts VALUES (-1, 'writable', 0)");
    }
  }

  private static void assertUndone(MigrationPlan plan) throws Exception {
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertFalse(StreamTesting.slots(s).contains(PgNames.slot(plan)));
      assertEquals(0, count(s, "SELECT count(*) FROM pg_publication WHERE pubname = '" + PgNames.publication(plan) + "'"));
      assertEquals("off", Sql.one(s, "SHOW default_transaction_read_only", rs -> rs.getString(1)));
      assertEquals(0, count(s, "SELECT count(*) FROM pg_db_role_setting r JOIN pg_database d"
          + " ON d.oid = r.setdatabase WHERE d.datname = current_database()"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_subscription WHERE subname = '" + PgNames.subscription(plan) + "'"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
    }
  }
}
