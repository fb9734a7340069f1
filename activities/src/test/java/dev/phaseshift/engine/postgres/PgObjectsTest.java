package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Objects the change stream does not carry, on real servers: a table subset that needs user-defined
 * types, materialized views, large objects and unlogged tables, each copied, brought current at the
 * switchover (and back at a rollback) and compared by validation.
 */
class PgObjectsTest extends PgPairTest {
  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
  }

  private static ObjectCheck check(ValidationResult r, String kind, String name) {
    return r.objectChecks().stream().filter(o -> o.kind().equals(kind) && o.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + r.objectChecks()));
  }

  @Test
  void aSubsetBringsTheTypesFunctionsAndSequencesItsTablesNeedAndItsMaterializedViewsPopulated() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE SCHEMA ops",
          "CREATE TYPE ops.mood AS ENUM ('calm', 'busy')",
          "CREATE DOMAIN ops.positive AS int CHECK (VALUE > 0)",
          "CREATE TYPE ops.pair AS (a int, b text)",
          "CREATE FUNCTION ops.twice(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2'",
          "CREATE SEQUENCE ops.ticket START 100",
          "CREATE TABLE ops.shifts (id int PRIMARY KEY, mood ops.mood NOT NULL, hours ops.positive,"
              + " pair ops.pair, doubled int GENERATED ALWAYS AS (ops.twice(id)) STORED,"
              + " ticket bigint NOT NULL DEFAULT nextval('ops.ticket'))",
          "CREATE TABLE ops.scratch (id serial PRIMARY KEY, mood ops.mood)",
          "CREATE VIEW ops.scratch_view AS SELECT id, mood FROM ops.scratch",
          "CREATE MATERIALIZED VIEW ops.scratch_totals AS SELECT count(*) AS n FROM ops.scratch",
          "CREATE MATERIALIZED VIEW ops.busy AS SELECT id, hours FROM ops.shifts WHERE mood = 'busy'",
          "CREATE UNIQUE INDEX busy_id ON ops.busy (id)",
          "CREATE MATERIALIZED VIEW ops.busy_hours AS SELECT sum(hours) AS total FROM ops.busy",
          "CREATE MATERIALIZED VIEW ops.never AS SELECT id FROM ops.shifts WITH NO DATA",
          "INSERT INTO ops.shifts (id, mood, hours, pair) SELECT g, CASE WHEN g % 3 = 0 THEN 'busy' ELSE 'calm' END"
              + "::ops.mood, 1 + g % 8, ROW(g, 'p' || g)::ops.pair FROM generate_series(1, 300) g",
          "INSERT INTO ops.scratch (mood) VALUES ('calm')",
          "REFRESH MATERIALIZED VIEW ops.busy",
          "REFRESH MATERIALIZED VIEW ops.busy_hours");
    }
    MigrationPlan plan = PgTestSupport.withTables(pairs.plan("objects-subset"),
        new TableSelection(List.of(), List.of("ops.scratch")));
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    PgTestSupport.replicate(pairs, plan, List.of("ops.shifts"));
    copier.createIndexesAndConstraints(plan);

    try (Connection t = pairs.target()) {
      assertEquals("calm,busy", text(t, "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"
          + " WHERE enumtypid = 'ops.mood'::regtype"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_type WHERE typname = 'positive' AND typtype = 'd'"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_type WHERE typname = 'pair' AND typtype = 'c'"));
      assertEquals(8, count(t, "SELECT ops.twice(4)"));
      assertEquals(300, count(t, "SELECT count(*) FROM ops.shifts"));
      assertEquals(300, count(t, "SELECT count(*) FROM ops.shifts WHERE doubled = id * 2"));
      assertEquals(1, count(t, "SELECT count(*) FROM pg_class WHERE relname = 'ticket' AND relkind = 'S'"));
      for (String leftOut : List.of("scratch", "scratch_view", "scratch_totals", "scratch_id_seq")) {
        assertEquals(0, count(t, "SELECT count(*) FROM pg_class WHERE relname = '" + leftOut + "'"), leftOut);
      }
      assertEquals(100, count(t, "SELECT count(*) FROM ops.busy"), "refreshed from the copied rows");
      assertEquals(1, count(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'busy_id'"));
      assertEquals(count(t, "SELECT sum(hours) FROM ops.busy"), count(t, "SELECT total FROM ops.busy_hours"),
          "a view on a view is refreshed after the one it reads");
      assertEquals("f", text(t, "SELECT relispopulated FROM pg_class WHERE relname = 'never'"),
          "unpopulated on the source, unpopulated on the target");
    }

    ValidationResult passed = new PgValidator(tools).validate(plan);
    assertTrue(passed.passed(), passed.toString());
    assertTrue(passed.unstreamed() != null && passed.unstreamed().refreshMillis() >= 0,
        "what the refresh cost is measured for the switchover's forecast: " + passed.unstreamed());
    ObjectCheck busy = check(passed, "materialized view", "ops.busy");
    assertTrue(busy.match() && busy.target().startsWith("populated, 100 rows"), busy.toString());
    assertEquals("not populated", check(passed, "materialized view", "ops.never").target());

    // The application writes a table a materialized view reads and does not refresh the view: the
    // target, refreshed from its current tables, differs; validation says so and what to do, but a
    // view refreshed on the application's own schedule does not block the switchover.
    try (Connection s = pairs.source()) {
      exec(s, "INSERT INTO ops.shifts (id, mood, hours) VALUES (1001, 'busy', 5), (1002, 'busy', 6)");
    }
    waitForTarget("SELECT count(*) FROM ops.shifts", 302);
    ValidationResult stale = new PgValidator(tools).validate(plan);
    assertTrue(stale.passed(), stale.toString());
    ObjectCheck hours = check(stale, "materialized view", "ops.busy");
    assertTrue(hours.match(), hours.toString());
    assertTrue(hours.source().startsWith("populated, 100 rows") && hours.target().startsWith("populated, 102 rows"),
        hours.toString());
    assertTrue(hours.note().contains("REFRESH MATERIALIZED VIEW CONCURRENTLY \"ops\".\"busy\" on the source"),
        hours.note());
    assertEquals(0, stale.mismatches(), stale.toString());

    // Refreshed on the source, and one emptied there: the next validation brings the target along.
    try (Connection s = pairs.source()) {
      exec(s, "REFRESH MATERIALIZED VIEW ops.busy", "REFRESH MATERIALIZED VIEW ops.busy_hours WITH NO DATA");
    }
    ValidationResult again = new PgValidator(tools).validate(plan);
    assertTrue(again.passed(), again.toString());
    assertEquals("not populated", check(again, "materialized view", "ops.busy_hours").target());

    assertTrue(check(again, "materialized view", "ops.busy").note().contains("refreshed on the target in"),
        check(again, "materialized view", "ops.busy").note());

    // A sequence the target lacks blocks too (values themselves move inside the freeze).
    try (Connection s = pairs.source()) {
      exec(s, "CREATE SEQUENCE ops.later", "SELECT nextval('ops.later')");
    }
    ValidationResult noSequence = new PgValidator(tools).validate(plan);
    assertFalse(noSequence.passed());
    assertTrue(noSequence.sequences().stream().anyMatch(v -> v.name().equals("ops.later") && v.source() == 1L
        && v.target() == null), noSequence.sequences().toString());
    assertTrue(noSequence.schemaDifferences().stream().anyMatch(d -> d.contains("ops.later")),
        "the subset's schema comparison covers its sequences: " + noSequence.schemaDifferences());
    try (Connection s = pairs.source()) {
      exec(s, "DROP SEQUENCE ops.later");
    }

    // Population itself is compared: a target view emptied behind the migration's back differs.
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s, "REFRESH MATERIALIZED VIEW ops.busy_hours");
      exec(t, "REFRESH MATERIALIZED VIEW ops.busy WITH NO DATA");
    }
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      List<ObjectCheck> direct = PgMatviews.compare(sides.source(), sides.target(),
          sides.source().call("listing", c -> PgMatviews.of(c, plan)));
      ObjectCheck emptied = direct.stream().filter(o -> o.name().equals("ops.busy")).findFirst().orElseThrow();
      assertFalse(emptied.match());
      assertEquals("not populated", emptied.target());
    }

    // The switchover's preparation refreshes them again, before anything is frozen.
    SwitchoverResult switched = new PgCutover().switchover(plan);
    assertTrue(switched.writeFreezeMillis() > 0);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      for (String view : List.of("ops.busy", "ops.busy_hours")) {
        assertEquals(text(s, "SELECT string_agg(x::text, ',' ORDER BY x::text) FROM " + view + " x"),
            text(t, "SELECT string_agg(x::text, ',' ORDER BY x::text) FROM " + view + " x"), view);
      }
    }
  }

  @Test
  void largeObjectsAndUnloggedTablesAreBroughtCurrentInsideTheFreezeAndBackAtARollback() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s,
          "CREATE TABLE docs (id int PRIMARY KEY, body oid)",
          "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v int NOT NULL, w int GENERATED ALWAYS AS (v + 1) STORED)",
          "INSERT INTO docs VALUES (1, lo_from_bytea(7001, 'first version')), (2, lo_from_bytea(7002, 'kept'))",
          "SELECT lo_from_bytea(7003, decode(repeat('ab', 300000), 'hex'))",
          "GRANT SELECT ON LARGE OBJECT 7002 TO PUBLIC",
          "INSERT INTO cache (k, v) SELECT 'k' || g, g FROM generate_series(1, 500) g");
    }
    MigrationPlan plan = pairs.plan("objects-unstreamed");
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    PgTestSupport.replicate(pairs, plan, List.of("docs"));
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      // What the bulk copy does for every selected table, unlogged ones included.
      PgUnloggedTables.copy(sides.source(), sides.target(),
          sides.source().call("listing", c -> PgInventory.selectedTables(c, plan)).stream()
              .filter(x -> x.unlogged()).toList());
    }
    copier.createIndexesAndConstraints(plan);

    try (Connection t = pairs.target()) {
      assertEquals("u", text(t, "SELECT relpersistence FROM pg_class WHERE relname = 'cache'"), "created unlogged");
      assertEquals(500, count(t, "SELECT count(*) FROM cache WHERE w = v + 1"));
      assertEquals("first version", text(t, "SELECT convert_from(lo_get(7001), 'UTF8')"));
      assertEquals(300000, count(t, "SELECT octet_length(lo_get(7003))"));
      assertTrue(text(t, "SELECT lomacl::text FROM pg_largeobject_metadata WHERE oid = 7002").contains("=r/"),
          "the grant came along");
    }
    ValidationResult equal = new PgValidator(tools).validate(plan);
    assertTrue(equal.passed(), equal.toString());
    assertTrue(check(equal, "large objects", "pg_largeobject").source().startsWith("3 object(s)"));
    assertTrue(check(equal, "unlogged table", "public.cache").match());
    assertTrue(equal.tables().stream().noneMatch(v -> v.table().equals("public.cache")),
        "not compared through the stream, which does not carry it");

    // After the copy: a large object rewritten, one removed, one added; the unlogged table written.
    try (Connection s = pairs.source()) {
      exec(s,
          "SELECT lo_put(7001, 0, 'First')",
          "SELECT lo_unlink(7003)",
          "SELECT lo_from_bytea(7004, 'new after the copy')",
          "UPDATE cache SET v = v + 1000 WHERE v <= 10",
          "INSERT INTO cache (k, v) VALUES ('late', 1)");
    }
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      ObjectCheck objects = PgLargeObjects.compare(sides.source(), sides.target());
      assertFalse(objects.match(), "a large object difference blocks");
      assertTrue(objects.note().contains("7001") && objects.note().contains("7003")
          && objects.note().contains("7004"), objects.note());
    }
    // Validation brings them current before comparing, as the switchover will.
    ValidationResult stale = new PgValidator(tools).validate(plan);
    assertTrue(stale.passed(), stale.toString());
    try (Connection t = pairs.target()) {
      assertEquals("new after the copy", text(t, "SELECT convert_from(lo_get(7004), 'UTF8')"));
    }
    // Changed again after the last validation: the freeze brings them current.
    try (Connection s = pairs.source()) {
      exec(s, "SELECT lo_put(7001, 0, 'FIRST')", "SELECT lo_unlink(7004)", "SELECT lo_from_bytea(7006, 'last')");
    }
    ObjectCheck cache = check(stale, "unlogged table", "public.cache");
    assertTrue(cache.match() && cache.note().contains("inside the switchover's freeze"), cache.toString());
    assertTrue(cache.source().startsWith("501 rows") && cache.target().startsWith("500 rows"), cache.toString());

    PgCutover cutover = new PgCutover();
    cutover.switchover(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(los(s), los(t));
      assertEquals("FIRST version", text(t, "SELECT convert_from(lo_get(7001), 'UTF8')"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 7003"));
      assertEquals(501, count(t, "SELECT count(*) FROM cache"));
      assertEquals(text(s, "SELECT string_agg(k || v, ',' ORDER BY k) FROM cache"),
          text(t, "SELECT string_agg(k || v, ',' ORDER BY k) FROM cache"));
    }

    // On the new primary the application goes on writing both; a rollback carries them back.
    cutover.startReverseReplication(plan);
    try (Connection t = pairs.target()) {
      exec(t,
          "SELECT lo_from_bytea(7005, 'written on the new primary')",
          "DELETE FROM cache WHERE k = 'late'",
          "INSERT INTO cache (k, v) VALUES ('after', 2)");
    }
    cutover.rollback(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(los(t), los(s));
      assertEquals("written on the new primary", text(s, "SELECT convert_from(lo_get(7005), 'UTF8')"));
      assertEquals(text(t, "SELECT string_agg(k || v, ',' ORDER BY k) FROM cache"),
          text(s, "SELECT string_agg(k || v, ',' ORDER BY k) FROM cache"));
      assertEquals(1, count(s, "SELECT count(*) FROM cache WHERE k = 'after'"));
    }
  }

  @Test
  void theAssessmentRefusesAnUnloggedTableTooLargeForTheFreezeAndNamesTheExtensionVersionToInstall()
      throws Exception {
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s,
          "CREATE UNLOGGED TABLE sessions (id int PRIMARY KEY, payload text)",
          "INSERT INTO sessions SELECT g, repeat('x', 500) FROM generate_series(1, 20000) g",
          "CREATE TABLE kept (id int PRIMARY KEY)",
          "CREATE EXTENSION hstore VERSION '1.4'",
          "CREATE EXTENSION pg_trgm");
      exec(t, "CREATE EXTENSION pg_trgm VERSION '1.3'");
    }
    PgInspector inspector = new PgInspector(tools);
    Assessment roomy = inspector.assess(pairs.plan("objects-assess"));
    Finding fits = PgInspectorTest.finding(roomy, "unlogged_table", "public.sessions");
    assertEquals(Severity.WARNING, fits.severity(), fits.message());

    Assessment tight = inspector.assess(PgTestSupport.withMaxFreeze(pairs.plan("objects-assess"), "100ms"));
    Finding tooLarge = PgInspectorTest.finding(tight, "unlogged_table_too_large", "public.sessions");
    assertEquals(Severity.BLOCKER, tooLarge.severity());
    assertTrue(tooLarge.message().contains("SET LOGGED") && tooLarge.message().contains("exclude")
        && tooLarge.message().contains("raise cutover.maxFreeze"), tooLarge.message());

    Finding hstore = PgInspectorTest.finding(roomy, "extension_version_default", "hstore");
    assertTrue(hstore.message().contains("CREATE EXTENSION \"hstore\" VERSION '1.4' SCHEMA \"public\""),
        hstore.message());
    Finding trgm = PgInspectorTest.finding(roomy, "extension_version_differs", "pg_trgm");
    assertEquals(Severity.BLOCKER, trgm.severity());
    assertTrue(trgm.message().contains("ALTER EXTENSION \"pg_trgm\" UPDATE"), trgm.message());
  }

  private static void waitForTarget(String sql, long expected) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    try (Connection t = pairs.target()) {
      while (count(t, sql) != expected) {
        if (System.currentTimeMillis() > deadline) throw new AssertionError(sql + " never reached " + expected);
        Thread.sleep(50);
      }
    }
  }

  private static String los(Connection c) throws Exception {
    return text(c, "SELECT string_agg(oid::text || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata");
  }
}
