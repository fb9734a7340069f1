package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.math.BigInteger;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Validation in key ranges: where a difference is reported, and what is compared whole. */
class PgValidatorChunksTest {
  static final int ROWS = 20_000;
  static final int CHUNKS = 8;
  static PgPair pairs;
  static PgTools tools;
  static MigrationPlan plan;
  static PgValidator validator;

  @BeforeAll
  static void start() throws Exception {
    pairs = new PgPair();
    tools = PgTools.detect();
    plan = pairs.plan("chunks");
    long itemsBytes;
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL, doc jsonb, at timestamptz)",
          "INSERT INTO items SELECT g, rpad(md5(g::text), 100, 'x'), jsonb_build_object('g', g, 'tags', jsonb_build_array(g % 7)),"
              + " timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds' FROM generate_series(1, " + ROWS + ") g",
          // No key: compared whole. Duplicate rows are legal there and must be counted as such.
          "CREATE TABLE notes (n int, body text)",
          "INSERT INTO notes SELECT g % 10, 'note ' || (g % 10) FROM generate_series(1, 100) g");
      itemsBytes = count(s, "SELECT pg_total_relation_size('items')");
    }
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, List.of("items", "notes"));
    // Chunks sized so that items splits into CHUNKS key ranges of ROWS / CHUNKS keys each.
    validator = new PgValidator(tools, Duration.ofSeconds(30), (itemsBytes + CHUNKS - 1) / CHUNKS);
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  private static TableValidation table(ValidationResult result, String name) {
    return result.tables().stream().filter(t -> t.table().equals(name)).findFirst().orElseThrow();
  }

  private static boolean contains(ChunkDifference d, long id) {
    return (d.from() == null || new BigInteger(d.from()).longValueExact() <= id)
        && (d.to() == null || id < new BigInteger(d.to()).longValueExact());
  }

  @Test
  void equalDataPassesAndADifferenceIsReportedInItsKeyRangeOnly() throws Exception {
    ValidationResult equal = validator.validate(plan);
    assertTrue(equal.passed(), equal.toString());
    TableValidation items = table(equal, "public.items");
    assertEquals(CHUNKS, items.chunks(), items.toString());
    assertEquals(ROWS, items.sourceRows());
    assertEquals(List.of(), items.differences());
    assertEquals(items.sourceChecksum(), items.targetChecksum());
    assertEquals(1, table(equal, "public.notes").chunks(), "no key: compared whole");

    // The table checksum is the whole table's, however it was split.
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      TableInfo info = PgInventory.selectedTables(s, plan).stream().filter(i -> i.name().equals("items"))
          .findFirst().orElseThrow();
      assertEquals(PgRowHash.VALUES, PgRowHash.expression(s, t, info), "built-in types: hashed from the values");
      assertEquals(items.sourceChecksum(),
          PgTestSupport.text(s, "SELECT sum(" + PgRowHash.VALUES + ")::text FROM items t"));
    }

    long planted = 12_345;
    try (Connection t = pairs.target()) {
      exec(t, "UPDATE items SET label = 'planted' WHERE id = " + planted);
    }
    try {
      ValidationResult corrupted = validator.validate(plan);
      assertEquals(1, corrupted.mismatches(), corrupted.toString());
      TableValidation bad = table(corrupted, "public.items");
      assertFalse(bad.match());
      assertEquals(bad.sourceRows(), bad.targetRows(), "same count, different content");
      assertEquals(1, bad.differences().size(), bad.toString());
      ChunkDifference d = bad.differences().get(0);
      assertEquals("id", d.key());
      assertTrue(contains(d, planted), d.toString());
      assertTrue(d.from() != null && d.to() != null, "an inner range: " + d);
      assertTrue(new BigInteger(d.to()).subtract(new BigInteger(d.from())).longValueExact() <= ROWS / CHUNKS,
          "one chunk's width: " + d);
      assertEquals(d.sourceRows(), d.targetRows());
      assertEquals("id >= " + d.from() + " AND id < " + d.to(), d.range());
      assertTrue(table(corrupted, "public.notes").match());
    } finally {
      try (Connection t = pairs.target()) {
        exec(t, "UPDATE items SET label = rpad(md5(id::text), 100, 'x') WHERE id = " + planted);
      }
    }
    assertTrue(validator.validate(plan).passed(), "repaired");
  }

  @Test
  void rowsOutsideTheSourcesKeySpanFallInTheOpenEndRanges() throws Exception {
    try (Connection t = pairs.target()) {
      exec(t, "INSERT INTO items VALUES (-5, 'stray', NULL, NULL), (" + (ROWS + 1000) + ", 'stray', NULL, NULL)");
    }
    try {
      TableValidation items = table(validator.validate(plan), "public.items");
      assertFalse(items.match());
      assertEquals(ROWS + 2, items.targetRows());
      assertEquals(2, items.differences().size(), items.toString());
      ChunkDifference first = items.differences().get(0);
      ChunkDifference last = items.differences().get(1);
      assertNull(first.from());
      assertTrue(contains(first, -5) && first.targetRows() == first.sourceRows() + 1, first.toString());
      assertNull(last.to());
      assertTrue(contains(last, ROWS + 1000) && last.targetRows() == last.sourceRows() + 1, last.toString());
    } finally {
      try (Connection t = pairs.target()) {
        exec(t, "DELETE FROM items WHERE label = 'stray'");
      }
    }
  }

  @Test
  void valuesSwappedBetweenTwoRowsAreADifference() throws Exception {
    // Each column keeps the same values, only in other rows: a checksum that combined column
    // hashes linearly and summed them would see no change.
    try (Connection t = pairs.target()) {
      exec(t, "UPDATE items SET label = CASE id WHEN 100 THEN (SELECT label FROM items WHERE id = 101)"
          + " ELSE (SELECT label FROM items WHERE id = 100) END WHERE id IN (100, 101)");
    }
    try {
      TableValidation items = table(validator.validate(plan), "public.items");
      assertFalse(items.match(), items.toString());
      assertEquals(1, items.differences().size(), items.toString());
      assertTrue(contains(items.differences().get(0), 100) && contains(items.differences().get(0), 101));
    } finally {
      try (Connection t = pairs.target()) {
        exec(t, "UPDATE items SET label = rpad(md5(id::text), 100, 'x') WHERE id IN (100, 101)");
      }
    }
  }

  @Test
  void typesWithoutAServerIndependentHashAreHashedAsText() throws Exception {
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (Connection c : List.of(s, t)) {
        exec(c, "CREATE TYPE mood AS ENUM ('calm', 'busy')", "CREATE TABLE moods (id int PRIMARY KEY, m mood)",
            "CREATE TABLE tagged (id int PRIMARY KEY, tags text[])");
      }
      try {
        TableInfo moods = new TableInfo("public", "moods", 0, 0, true, "default", false);
        TableInfo tagged = new TableInfo("public", "tagged", 0, 0, true, "default", false);
        assertEquals(PgRowHash.TEXT, PgRowHash.expression(s, t, moods), "enums hash their OIDs");
        assertEquals(PgRowHash.TEXT, PgRowHash.expression(s, t, tagged));
      } finally {
        for (Connection c : List.of(s, t)) exec(c, "DROP TABLE moods, tagged", "DROP TYPE mood");
      }
    }
  }

  @Test
  void aMissingDuplicateInATableWithoutKeyIsAWholeTableDifference() throws Exception {
    try (Connection t = pairs.target()) {
      // Two identical rows; one goes. An exclusive-or of row hashes could not tell.
      exec(t, "DELETE FROM notes WHERE ctid = (SELECT min(ctid) FROM notes WHERE n = 3)",
          "DELETE FROM notes WHERE ctid = (SELECT min(ctid) FROM notes WHERE n = 4)",
          "INSERT INTO notes VALUES (3, 'note 3'), (3, 'note 3')");
    }
    try {
      TableValidation notes = table(validator.validate(plan), "public.notes");
      assertFalse(notes.match(), notes.toString());
      assertEquals(notes.sourceRows(), notes.targetRows(), "as many rows, one duplicated instead of another");
      assertEquals(1, notes.differences().size());
      assertNull(notes.differences().get(0).key());
      assertEquals("whole table", notes.differences().get(0).range());
    } finally {
      try (Connection t = pairs.target()) {
        exec(t, "DELETE FROM notes WHERE ctid = (SELECT min(ctid) FROM notes WHERE n = 3)",
            "INSERT INTO notes VALUES (4, 'note 4')");
      }
    }
    assertTrue(validator.validate(plan).passed());
  }

  @Test
  void integerRangesCoverEveryKeyOnce() {
    List<PgKeyRanges.Range> r = PgKeyRanges.ranges(BigInteger.ONE, BigInteger.valueOf(10), 4);
    assertEquals(List.of(new PgKeyRanges.Range(null, "4"), new PgKeyRanges.Range("4", "7"),
        new PgKeyRanges.Range("7", "10"), new PgKeyRanges.Range("10", null)), r);
    assertEquals(List.of(PgKeyRanges.Range.ALL), PgKeyRanges.ranges(BigInteger.TEN, BigInteger.TEN, 8));
    assertEquals(3, PgKeyRanges.ranges(BigInteger.ONE, BigInteger.valueOf(3), 8).size());
    BigInteger min = BigInteger.valueOf(Long.MIN_VALUE);
    BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
    List<PgKeyRanges.Range> wide = PgKeyRanges.ranges(min, max, 256);
    assertEquals(256, wide.size());
    for (PgKeyRanges.Range range : wide.subList(1, wide.size())) {
      new BigInteger(range.from()).longValueExact(); // every bound is a valid bigint literal
    }
  }
}
