package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Materialized views: the schema copy creates them empty (pg_dump's schema-only sections hold no
 * REFRESH), and logical replication never fills them, so they are refreshed on the target from
 * the target's own tables, once after the bulk copy and again right before the switchover. A view
 * the source holds unpopulated stays unpopulated. Validation compares both sides' population and
 * content.
 */
final class PgMatviews {
  private static final Logger log = LoggerFactory.getLogger(PgMatviews.class);
  private static final String KIND = "materialized view";
  /** A view on a view needs the inner one populated first; each pass refreshes what it can. */
  private static final int MAX_PASSES = 10;
  private static final String NOT_POPULATED = "55000";

  /** One materialized view: quoted name for SQL, plain name for people, whether the source holds rows. */
  record View(String quoted, String display, boolean populated) {}

  private PgMatviews() {}

  /** The source's materialized views the plan takes (those reading only migrated tables), in creation order. */
  static List<View> of(Connection source, MigrationPlan plan) throws SQLException {
    Set<String> leftOut = PgDumpScope.leftOut(source, plan);
    List<View> views = Sql.query(source, "SELECT n.nspname, c.relname, c.relispopulated FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm'"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
            + "   AND d.objid = c.oid AND d.deptype = 'e') ORDER BY c.oid",
        rs -> new View(Sql.qualified(rs.getString(1), rs.getString(2)), rs.getString(1) + "." + rs.getString(2),
            rs.getBoolean(3)));
    return views.stream().filter(v -> !leftOut.contains(v.quoted())).toList();
  }

  /**
   * Refreshes on the target every view the source holds populated, and empties those it holds
   * unpopulated. The target takes no
   * application traffic before the switchover, so a plain REFRESH (which locks out readers) harms
   * no one and is faster than CONCURRENTLY.
   *
   * @return how long the refreshes took, in milliseconds
   */
  static long refresh(PgSession target, List<View> views) {
    long started = System.nanoTime();
    for (View v : views) {
      if (v.populated()) continue;
      // Emptied on the source since the last pass: emptied here too.
      target.run("emptying " + v.display(), c -> {
        if (Boolean.TRUE.equals(Sql.one(c, "SELECT relispopulated FROM pg_class WHERE oid = to_regclass(?)",
            rs -> rs.getBoolean(1), v.quoted()))) {
          Sql.exec(c, "REFRESH MATERIALIZED VIEW " + v.quoted() + " WITH NO DATA");
        }
      });
    }
    List<View> todo = new ArrayList<>(views.stream().filter(View::populated).toList());
    for (int pass = 0; pass < MAX_PASSES && !todo.isEmpty(); pass++) {
      boolean last = pass + 1 == MAX_PASSES;
      List<View> waiting = new ArrayList<>();
      for (View v : todo) {
        boolean done = target.call("refreshing " + v.display(), c -> {
          try {
            Sql.exec(c, "REFRESH MATERIALIZED VIEW " + v.quoted());
            return true;
          } catch (SQLException e) {
            // It reads another materialized view not refreshed yet: the next pass gets it.
            if (NOT_POPULATED.equals(e.getSQLState()) && !last) return false;
            throw e;
          }
        });
        if (!done) waiting.add(v);
      }
      todo = waiting;
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    log.info("refreshed {} materialized view(s) on {} in {} ms", views.size(), target.endpoint(), millis);
    return millis;
  }

  /**
   * Population and content of every view on both sides. Only the population blocks: the target's
   * copy is refreshed from tables validation proves equal, while the source's holds whatever its
   * last REFRESH saw, so under writes to its tables the contents differ on every round (a view
   * refreshed nightly would block every switchover). A content difference is reported, not counted.
   */
  static List<ObjectCheck> compare(PgSession source, PgSession target, List<View> views) {
    List<ObjectCheck> checks = new ArrayList<>();
    for (View v : views) {
      String src = source.call("reading " + v.display(), c -> describe(c, v));
      String tgt = target.call("reading " + v.display(), c -> describe(c, v));
      boolean samePopulation = population(src).equals(population(tgt));
      String note = src.equals(tgt) ? ""
          : !samePopulation ? "the view is " + population(src) + " on the source and " + population(tgt)
              + " on the target; validate again after the next refresh on the target"
          : "the contents differ: the target's copy was refreshed from the copied tables (validated equal)"
              + " after the copy and again right before the freeze, the source's holds what its last"
              + " REFRESH saw; after the switchover the application reads the target's, as after its next"
              + " refresh. For identical contents REFRESH MATERIALIZED VIEW CONCURRENTLY " + v.quoted()
              + " on the source, then validate again";
      checks.add(new ObjectCheck(KIND, v.display(), src, tgt, samePopulation, note));
    }
    return checks;
  }

  private static String population(String described) {
    return described.startsWith("populated") ? "populated" : described;
  }

  /** "missing", "not populated", or the row count and a checksum of the rows in any order. */
  private static String describe(Connection c, View v) throws SQLException {
    Boolean populated = Sql.one(c, "SELECT relispopulated FROM pg_class WHERE oid = to_regclass(?)",
        rs -> rs.getBoolean(1), v.quoted());
    if (populated == null) return "missing";
    if (!populated) return "not populated";
    return Sql.one(c, "SELECT 'populated, ' || count(*) || ' rows, checksum '"
        + " || coalesce(md5(string_agg(h, '' ORDER BY h)), md5('')) FROM (SELECT md5(m::text) h FROM "
        + v.quoted() + " m) rows", rs -> rs.getString(1));
  }
}
