package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The publication of the selected tables, on the source for the stream and on the target for the reverse stream. */
final class PgPublication {
  private static final Logger log = LoggerFactory.getLogger(PgPublication.class);

  private PgPublication() {}

  /**
   * Makes the publication publish exactly the selected tables. Partitioned tables are published
   * as their root (PostgreSQL 13+), the way the bulk copy reads them, so the target's partitions
   * need not match the source's.
   */
  static void ensure(Connection c, MigrationPlan plan, String publication)
      throws SQLException {
    ensure(c, plan, publication, FreezeMarker.ensureOnSource(c));
  }

  /**
   * @param withMarker whether the publication carries the freeze marker ({@link FreezeMarker}); the
   *     subscriber must have the table, or attaching fails
   */
  static void ensure(Connection c, MigrationPlan plan, String publication, boolean withMarker)
      throws SQLException {
    // Adding or removing a table takes SHARE UPDATE EXCLUSIVE on it: it waits for a running VACUUM,
    // ANALYZE or index build, and while it waits, the application's own DDL would queue behind it.
    // Listing the tables measures their size, which takes ACCESS SHARE: bounded the same way.
    PgLockBound.retryingRun(c, PgLockBound.of(plan), "publishing the selected tables", () -> {
      // Unlogged tables cannot be published; they are copied again inside the freeze (PgUnloggedTables).
      List<String> wanted = new ArrayList<>(PgInventory.selectedTables(c, plan).stream()
          .filter(n -> !n.unlogged())
          .map(n -> Sql.qualified(n.schema(), n.name()))
          .toList());
      if (withMarker) wanted.add(FreezeMarker.TABLE);
      publish(c, plan, publication, wanted);
    });
  }

  private static void publish(Connection c, MigrationPlan plan, String publication, List<String> wanted)
      throws SQLException {
    int version = PgInventory.serverVersionNum(c);
    String pub = Sql.ident(publication);
    Boolean allTables = Sql.one(c, "SELECT puballtables FROM pg_publication WHERE pubname = ?",
        rs -> rs.getBoolean(1), publication);
    if (Boolean.TRUE.equals(allTables)) {
      Sql.exec(c, "DROP PUBLICATION " + pub);
      allTables = null;
    }
    if (allTables == null) {
      String with = version >= 130000 ? " WITH (publish_via_partition_root = true)" : "";
      String tables = wanted.isEmpty() ? "" : " FOR TABLE " + String.join(", ", wanted);
      Sql.exec(c, "CREATE PUBLICATION " + pub + tables + with);
      log.info("created publication {} of {} tables", publication, wanted.size());
      return;
    }
    List<String> current = Sql.query(c,
        "SELECT n.nspname, cl.relname FROM pg_publication_rel pr"
            + " JOIN pg_publication p ON p.oid = pr.prpubid"
            + " JOIN pg_class cl ON cl.oid = pr.prrelid JOIN pg_namespace n ON n.oid = cl.relnamespace"
            + " WHERE p.pubname = ?",
        rs -> Sql.qualified(rs.getString(1), rs.getString(2)), publication);
    if (new TreeSet<>(current).equals(new TreeSet<>(wanted))) return;
    if (wanted.isEmpty()) {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " DROP TABLE " + String.join(", ", current));
    } else {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " SET TABLE " + String.join(", ", wanted));
    }
    if (version >= 130000) {
      Sql.exec(c, "ALTER PUBLICATION " + pub + " SET (publish_via_partition_root = true)");
    }
    log.info("publication {} now has {} tables", publication, wanted.size());
  }
}
