package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compensation when the plan marks the target disposable: drops what the migration created there
 * (tables, free-standing sequences, types, the roles it created, the bookkeeping schema) and nothing
 * that was there before.
 */
final class PgTargetObjects {
  private static final Logger log = LoggerFactory.getLogger(PgTargetObjects.class);

  private PgTargetObjects() {}

  static void drop(MigrationPlan plan) {
    if (!Boolean.TRUE.equals(plan.targetDisposable())) {
      log.info("target of {} is not disposable (targetDisposable is not set); nothing dropped there", plan.name());
      return;
    }
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      boolean switched = CutoverRecords.switched(t, plan) != null;
      boolean rolledBack = CutoverRecords.rolledBack(t, plan) != null;
      if (switched && !rolledBack) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the target of " + plan.name() + " is the primary since the switchover; its tables hold the"
                + " application's writes, so they are not dropped; roll back first");
      }
      Dropped dropped = dropCopied(s, t, plan);
      // Before the bookkeeping that records them goes.
      List<String> keptRoles = t.call("dropping the roles the migration created", PgRoleSync::dropCreated);
      if (!keptRoles.isEmpty()) log.info("roles kept on {}, still used elsewhere: {}", t, keptRoles);
      PgDecommission.dropBookkeeping(t);
      log.info("dropped what {} created on {}: {} and the bookkeeping schema", plan.name(), t, dropped);
    }
  }

  /** What {@link #dropCopied} removed, and the types it kept because something else uses them. */
  record Dropped(int tables, int sequences, int types, int typesKept) {
    @Override
    public String toString() {
      return tables + " tables, " + sequences + " sequences, " + types + " types (" + typesKept
          + " types still in use by other objects were kept)";
    }
  }

  /**
   * Drops the plan's selected tables, free-standing sequences and types from the target: what the
   * schema copy creates. The caller has decided that they hold nothing the source lacks.
   */
  static Dropped dropCopied(PgSession s, PgSession t, MigrationPlan plan) {
    // The source says what the schema copy took; a target table of the same selection that the
    // source does not have was there before the migration and stays.
    List<TableInfo> copied = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
    Set<String> schemas = PgInventory.schemasOf(copied);
    List<PgInventory.Seq> sequences = s.call("listing sequences", c -> PgInventory.sequences(c, schemas));
    List<String[]> types = s.call("listing types", c -> userTypes(c, schemas));
    WriteFreeze.allowOwnWrites(t);
    List<String> tables = new ArrayList<>();
    for (TableInfo table : copied) {
      String name = PgInventory.quoted(table);
      if (Boolean.TRUE.equals(t.one("looking for " + table.qualifiedName(),
          "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), name))) {
        tables.add(name);
      }
    }
    if (!tables.isEmpty()) {
      // One statement, so foreign keys between the tables do not get in the way.
      t.exec("dropping tables", "DROP TABLE IF EXISTS " + String.join(", ", tables) + " CASCADE");
    }
    int droppedSequences = 0;
    for (PgInventory.Seq seq : sequences) {
      // Sequences owned by the tables went with them; what is left are free-standing ones.
      if (t.call("dropping " + seq.display(), c -> PgInventory.exists(c, seq)
          && dropIfUnused(c, "DROP SEQUENCE IF EXISTS " + seq.quoted()))) {
        droppedSequences++;
      }
    }
    // Large objects were copied by oid: those the source has are the migration's.
    List<Long> objects = s.query("listing large objects", "SELECT oid::bigint FROM pg_largeobject_metadata",
        rs -> rs.getLong(1));
    t.run("removing the copied large objects", c -> Sql.query(c, "SELECT lo_unlink(m.oid) FROM"
        + " pg_largeobject_metadata m WHERE m.oid::bigint = ANY (?)", rs -> rs.getInt(1),
        c.createArrayOf("int8", objects.toArray())));
    Set<String[]> remaining = new LinkedHashSet<>(types);
    int droppedTypes = dropTypes(t, remaining);
    return new Dropped(tables.size(), droppedSequences, droppedTypes, remaining.size());
  }

  /**
   * Types may be built on each other (a domain over an enum): drops in rounds until no more go.
   * What is still in use stays in {@code remaining}.
   */
  private static int dropTypes(PgSession t, Set<String[]> remaining) {
    int dropped = 0;
    boolean progress = true;
    while (progress && !remaining.isEmpty()) {
      progress = false;
      for (var it = remaining.iterator(); it.hasNext(); ) {
        String[] type = it.next();
        String name = Sql.qualified(type[0], type[1]);
        String kind = "d".equals(type[2]) ? "DOMAIN" : "TYPE";
        boolean exists = Boolean.TRUE.equals(t.one("looking for type " + name,
            "SELECT to_regtype(?) IS NOT NULL", rs -> rs.getBoolean(1), name));
        if (!exists) {
          it.remove();
          continue;
        }
        if (t.call("dropping type " + name, c -> dropIfUnused(c, "DROP " + kind + " IF EXISTS " + name))) {
          it.remove();
          dropped++;
          progress = true;
        }
      }
    }
    return dropped;
  }

  /**
   * Enums, domains, ranges and free-standing composite types in these schemas, as {schema, name,
   * typtype}: what pg_dump's pre-data section creates besides tables. Row types of tables, array
   * types and extension members come and go with their owners.
   */
  private static List<String[]> userTypes(Connection s, Set<String> schemas) throws SQLException {
    if (schemas.isEmpty()) return List.of();
    return Sql.query(s, "SELECT n.nspname, t.typname, t.typtype::text FROM pg_type t"
            + " JOIN pg_namespace n ON n.oid = t.typnamespace"
            + " WHERE n.nspname = ANY (?) AND t.typtype IN ('e', 'd', 'r', 'c')"
            + " AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass"
            + "   AND d.objid = t.oid AND d.deptype = 'e')"
            + " ORDER BY 1, 2",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)},
        s.createArrayOf("text", schemas.toArray()));
  }

  /** Drops with RESTRICT; an object something else still uses (2BP01) stays, and false says so. */
  static boolean dropIfUnused(Connection c, String dropStatement) throws SQLException {
    c.setAutoCommit(false);
    Savepoint sp = c.setSavepoint();
    try {
      Sql.exec(c, dropStatement + " RESTRICT");
      c.commit();
      return true;
    } catch (SQLException e) {
      c.rollback(sp);
      c.commit();
      if ("2BP01".equals(e.getSQLState())) return false;
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
