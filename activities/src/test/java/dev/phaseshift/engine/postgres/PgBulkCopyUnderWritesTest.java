package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.sourceOf;
import static dev.phaseshift.engine.postgres.StreamTesting.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole capture under a live write load: slot with exported snapshot, chunked copy under the
 * snapshot, subscription on the slot. Afterwards both sides must hold the same rows, each once.
 */
class PgBulkCopyUnderWritesTest {
  static final int ROWS = 150_000;

  static final String ITEMS = "CREATE TABLE shop.items (id bigint NOT NULL, amount numeric(14,2),"
      + " note text, doc jsonb, blob bytea, at timestamptz, tags int[])";
  static final String EVENTS = "CREATE TABLE shop.events (at timestamptz, kind text, payload jsonb)";
  static final String[] MEASURES = {
    "CREATE TABLE shop.measures (id bigint NOT NULL, region int NOT NULL, v text) PARTITION BY LIST (region)",
    "CREATE TABLE shop.measures_1 PARTITION OF shop.measures FOR VALUES IN (1)",
    "CREATE TABLE shop.measures_2 PARTITION OF shop.measures FOR VALUES IN (2)"
  };

  static PgPair pair;

  @BeforeAll
  static void start() throws Exception {
    pair = new PgPair();
    StreamTesting.fastFeedback(pair);
    try (Connection s = pair.source()) {
      exec(s, "CREATE SCHEMA shop", ITEMS, "ALTER TABLE shop.items ADD PRIMARY KEY (id)",
          "INSERT INTO shop.items SELECT g, g * 1.25, 'note ' || g,"
              + " jsonb_build_object('g', g, 'h', md5(g::text)), decode(md5(g::text), 'hex'),"
              + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', ARRAY[g % 7, g % 11, g]"
              + " FROM generate_series(1, " + ROWS + ") g",
          // No key at all: the stream finds rows to change by their whole content.
          EVENTS, "ALTER TABLE shop.events REPLICA IDENTITY FULL",
          "INSERT INTO shop.events SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',"
              + " 'k' || (g % 5), jsonb_build_object('n', g) FROM generate_series(1, 20000) g",
          MEASURES[0], MEASURES[1], MEASURES[2], "ALTER TABLE shop.measures ADD PRIMARY KEY (id, region)",
          "INSERT INTO shop.measures SELECT g, 1 + g % 2, 'v' || g FROM generate_series(1, 5000) g",
          "ANALYZE");
    }
    try (Connection t = pair.target()) {
      exec(t, "CREATE SCHEMA shop", ITEMS, EVENTS, "ALTER TABLE shop.events REPLICA IDENTITY FULL",
          MEASURES[0], MEASURES[1], MEASURES[2]);
    }
  }

  @AfterAll
  static void stop() {
    if (pair != null) pair.close();
  }

  @Test
  void copyAndStreamUnderConcurrentWritesGiveEveryRowOnce() throws Exception {
    MigrationPlan plan = pair.plan("under-writes");
    SnapshotHolder holder = new SnapshotHolder();
    PgChangeStream stream = new PgChangeStream(holder);
    PgBulkCopier copier = new PgBulkCopier(holder, 512);
    AtomicLong nextId = new AtomicLong(10_000_000);

    try (StreamTesting.Writer writer = new StreamTesting.Writer(sourceOf(pair), (c, random) -> {
      long id = 1 + random.nextLong(ROWS);
      try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO shop.items VALUES (?, ?, 'new', '{\"new\": true}', '\\x00ff', now(), '{1,2}')");
          PreparedStatement upd = c.prepareStatement(
              "UPDATE shop.items SET amount = amount + 1, note = note || '+', doc = doc || '{\"u\": 1}',"
                  + " tags = tags || 0, at = now() WHERE id = ?");
          PreparedStatement del = c.prepareStatement("DELETE FROM shop.items WHERE id = ?");
          PreparedStatement ev = c.prepareStatement(
              "INSERT INTO shop.events VALUES (now(), 'live', jsonb_build_object('id', ?::bigint))");
          PreparedStatement me = c.prepareStatement(
              "INSERT INTO shop.measures VALUES (?, ?, 'live') ON CONFLICT DO NOTHING")) {
        long newId = nextId.incrementAndGet();
        ins.setLong(1, newId);
        ins.setBigDecimal(2, java.math.BigDecimal.valueOf(newId, 2));
        ins.executeUpdate();
        upd.setLong(1, id);
        upd.executeUpdate();
        del.setLong(1, 1 + random.nextLong(ROWS));
        del.executeUpdate();
        ev.setLong(1, newId);
        ev.executeUpdate();
        me.setLong(1, newId);
        me.setInt(2, 1 + random.nextInt(2));
        me.executeUpdate();
      }
    })) {
      Thread.sleep(300);
      ChangeCapture capture = stream.start(plan);
      assertEquals(plan.objectName(), capture.stream());
      assertEquals(capture, stream.start(plan), "a retried start returns the held capture");

      List<CopyProgress> beats = new CopyOnWriteArrayList<>();
      Heartbeat recording = beats::add;
      TableCopyResult items = copier.copy(plan, capture, table("shop", "items"), recording);
      TableCopyResult events = copier.copy(plan, capture, table("shop", "events"), recording);
      TableCopyResult measures = copier.copy(plan, capture, table("shop", "measures"), recording);

      assertTrue(items.chunks() > 1, "items is copied in several chunks: " + items);
      assertEquals(0, items.resumedChunks());
      assertTrue(items.rows() >= ROWS - writer.transactions() - 1000, "items rows: " + items);
      assertTrue(items.bytes() > 0);
      assertEquals(1, measures.chunks(), "a partitioned table is one chunk over its root");
      assertTrue(events.rows() >= 20_000);
      CopyProgress last = beats.stream().filter(b -> b.table().equals("shop.items"))
          .reduce((a, b) -> b).orElseThrow();
      assertEquals(items.chunks(), last.chunksDone());
      assertEquals(items.rows(), last.rowsCopied());

      try (Connection t = pair.target()) {
        exec(t, "ALTER TABLE shop.items ADD PRIMARY KEY (id)",
            "ALTER TABLE shop.measures ADD PRIMARY KEY (id, region)");
        assertEquals(items.rows(), PgTestSupport.count(t, "SELECT count(*) FROM shop.items"));
      }
      stream.attach(plan, capture);
      stream.attach(plan, capture);
      assertTrue(holder.get(PgNames.slot(capture)).isEmpty(), "attach releases the snapshot");

      long before = writer.transactions();
      long until = System.currentTimeMillis() + 10_000;
      while (writer.transactions() < before + 200 && System.currentTimeMillis() < until) Thread.sleep(50);
      writer.stop();
      assertTrue(writer.transactions() > before, "the writer kept writing after attach");
    }

    awaitDrained(stream, plan, Duration.ofSeconds(60));
    try (Connection s = pair.source(); Connection t = pair.target()) {
      assertSameContent(s, t, "shop.items", "shop.events", "shop.measures");
      assertTrue(PgTestSupport.count(t, "SELECT count(*) FROM shop.items WHERE id > 10000000") > 0,
          "rows inserted during and after the copy arrived");
    }
    stream.undo(plan);
  }
}
