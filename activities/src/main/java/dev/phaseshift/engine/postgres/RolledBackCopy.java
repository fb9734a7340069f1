package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy a rolled-back migration leaves on its target, and how the next migration to that target
 * replaces it. A rollback hands writes back only once the source has every change the target took,
 * then makes the target database read-only and keeps its switchover and rollback records there.
 * While both still hold, the tables on the target are a stale copy of what the source has: a new
 * migration may drop them and copy again. If the database was made writable since, something may
 * have written there, and the copy is left to a person.
 */
final class RolledBackCopy {
  private static final Logger log = LoggerFactory.getLogger(RolledBackCopy.class);

  private RolledBackCopy() {}

  /**
   * What the target holds from an earlier migration.
   *
   * @param migration    the migration that rolled back last
   * @param rolledBackAt when the source took writes again
   * @param retired      whether the target database is still read-only, as that rollback left it
   */
  record Leftover(String migration, String rolledBackAt, boolean retired) {}

  /**
   * The rolled-back migration whose copy the target holds, or null: no records, or a migration
   * switched over to this target and did not roll back (the target then holds the application's
   * data, not a copy of it).
   */
  static Leftover find(Connection t) throws SQLException {
    if (!Boolean.TRUE.equals(Sql.one(t, "SELECT to_regclass(?) IS NOT NULL AND to_regclass(?) IS NOT NULL",
        rs -> rs.getBoolean(1), CutoverRecords.SWITCHOVER_TABLE, CutoverRecords.ROLLBACK_TABLE))) {
      return null;
    }
    if (CutoverRecords.liveSwitchover(t) != null) return null;
    String[] last = Sql.one(t, "SELECT migration, to_char(completed_at AT TIME ZONE 'UTC',"
            + " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM " + CutoverRecords.ROLLBACK_TABLE
            + " WHERE completed_at IS NOT NULL ORDER BY completed_at DESC LIMIT 1",
        rs -> new String[] {rs.getString(1), rs.getString(2)});
    if (last == null) return null;
    return new Leftover(last[0], last[1], WriteFreeze.frozen(t));
  }

  /**
   * Drops the copy and the records, then lets the target take writes again, as before the first
   * migration. Only for a {@link Leftover#retired() retired} target, and only once this migration
   * holds the target's lease, so no other migration uses it. The records and the read-only setting
   * go last and together: a retry after a crash finds them and drops the rest.
   */
  static void replace(PgSession s, PgSession t, MigrationPlan plan, Leftover left) {
    PgTargetObjects.Dropped dropped = PgTargetObjects.dropCopied(s, t, plan);
    // The schema copy creates the tables' schemas too (CREATE SCHEMA, without IF NOT EXISTS, for a
    // whole database); an emptied one goes, one that still holds something stays.
    Set<String> schemas = PgInventory.schemasOf(s.call("listing tables", c -> PgInventory.selectedTables(c, plan)));
    for (String schema : schemas) {
      if ("public".equals(schema)) continue;
      t.call("dropping schema " + schema,
          c -> PgTargetObjects.dropIfUnused(c, "DROP SCHEMA IF EXISTS " + Sql.ident(schema)));
    }
    t.inTransaction("removing the rolled-back migration's records", c -> {
      Sql.exec(c, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE");
      WriteFreeze.lift(c, t.endpoint());
      return null;
    });
    log.info("{}: replaced the copy that migration {} left on {} when it was rolled back at {}: dropped {};"
        + " the target takes writes again", plan.name(), left.migration(), t, left.rolledBackAt(), dropped);
  }
}
