package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.SchemaCopier;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Recreates the source schema on the target with pg_dump and psql, owners and privileges included,
 * after the roles they name ({@link PgRoleSync}): the pre-data section (types, functions, tables,
 * sequences, views, grants) before the bulk copy, the post-data section (indexes, constraints,
 * triggers, policies, default privileges) after it, then refreshes materialized views and copies
 * large objects ({@link PgUnstreamed}). A plan that leaves tables out still takes everything they
 * depend on ({@link PgDumpScope}). The pre-data section is applied in one transaction, so a
 * failure leaves nothing half-created and a retry starts clean; the post-data section is built in
 * parallel, statement by statement ({@link PgPostData}), and a retry skips what exists.
 */
final class PgSchemaCopier implements SchemaCopier {
  private final PgTools tools;

  PgSchemaCopier(PgTools tools) {
    this.tools = tools;
  }

  /** Objects living in the post-data section, by kind and name, for the tables given. */
  private static final String POST_DATA_OBJECTS =
      "SELECT 'index ' || i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
          + "  WHERE x.indrelid = ?::regclass"
          + " UNION ALL SELECT 'constraint ' || conname FROM pg_constraint"
          + "  WHERE conrelid = ?::regclass AND contype IN ('p', 'u', 'f', 'x')"
          + " UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal"
          + " UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polrelid = ?::regclass"
          + " UNION ALL SELECT 'rule ' || rulename FROM pg_rewrite WHERE ev_class = ?::regclass AND rulename <> '_RETURN'";

  /**
   * The pre-data section, in one transaction. Runs once PREPARE holds the target's lease: a copy
   * that a rolled-back migration left on the target, still read-only as the rollback left it, is
   * replaced first ({@link RolledBackCopy}).
   */
  @Override
  public void createTables(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      List<TableInfo> tables = selected(s, plan);
      RolledBackCopy.Leftover left = t.call("looking for a rolled-back migration's copy", RolledBackCopy::find);
      if (left != null && left.retired()) RolledBackCopy.replace(s, t, plan, left);
      List<String> missing = new ArrayList<>();
      for (TableInfo table : tables) {
        if (!exists(t, table)) missing.add(table.qualifiedName());
      }
      // Every table there already: an earlier attempt committed the whole script (it runs as one
      // transaction) and only its completion was lost.
      if (missing.isEmpty()) return;
      if (missing.size() < tables.size()) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the target already has some of the selected tables but not " + String.join(", ", missing)
                + "; the schema copy needs a target without them: drop the existing ones on the target or"
                + " exclude them from the plan");
      }
      // The dump names owners and grantees: they must exist on the target before it is applied.
      t.run("preparing the bookkeeping schema", c -> PgBookkeepingSchema.ensure(t.endpoint(), c));
      t.run("creating the source database's roles", c -> PgRoleSync.sync(s.connection(), c));
      List<String> scope = s.call("listing what the plan leaves out", c -> PgDumpScope.args(c, plan));
      PgTools.Installation inst = tools.forServers(s.call("reading the version", PgInventory::serverVersionNum),
          t.call("reading the version", PgInventory::serverVersionNum));
      String script = dump(inst, s.endpoint(), "pre-data", scope, PgLockBound.of(plan));
      if (s.call("listing tables", c -> PgInventory.isSubset(c, plan))) {
        // A dump that leaves tables out also leaves out the schemas' default privileges, which the
        // application's next CREATE TABLE relies on.
        List<String> access = s.call("reading the schemas' owners and privileges",
            c -> PgSchemaAccess.statements(c, PgInventory.schemasOf(tables)));
        script += "\n" + String.join("\n", access) + "\n";
      }
      // A target role that is not a superuser gives objects to their owners only where they may create.
      PgOwnerHandover handover = t.call("planning the owners' hand-over", c -> PgOwnerHandover.plan(s.connection(), c));
      apply(inst, t.endpoint(), handover.around(script), "creating the tables");
    }
  }

  @Override
  public void createIndexesAndConstraints(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      List<TableInfo> tables = selected(s, plan);
      // Roles first seen since the tables were created (a client logging in as a role nobody saw
      // before): created now, so validation does not find them missing.
      t.run("creating the source database's roles", c -> PgRoleSync.sync(s.connection(), c));
      Set<String> wanted = new TreeSet<>();
      Set<String> present = new TreeSet<>();
      for (TableInfo table : tables) {
        if (!exists(t, table)) {
          throw new MigrationException(FailureTypes.PREREQUISITE,
              table.qualifiedName() + " does not exist on the target, so its indexes and constraints cannot"
                  + " be built; run the table creation step (CreateTargetSchema) first");
        }
        wanted.addAll(s.call("listing indexes and constraints", c -> postDataObjects(c, table)));
        present.addAll(t.call("listing indexes and constraints", c -> postDataObjects(c, table)));
      }
      Set<String> toCreate = new LinkedHashSet<>(wanted);
      toCreate.removeAll(present);
      // All of them there: an earlier attempt finished them and only its completion was lost.
      if (!toCreate.isEmpty()) buildPostData(s, t, plan);
      // Materialized views read the copied tables (and their indexes); large objects are no table.
      PgUnstreamed.bringCurrent(s, t, plan);
    }
  }

  private void buildPostData(PgSession s, PgSession t, MigrationPlan plan) {
    List<String> scope = s.call("listing what the plan leaves out", c -> PgDumpScope.args(c, plan));
    PgTools.Installation inst = tools.forServers(s.call("reading the version", PgInventory::serverVersionNum),
        t.call("reading the version", PgInventory::serverVersionNum));
    String dump = dump(inst, s.endpoint(), "post-data", scope, PgLockBound.of(plan));
    try {
      // Objects an earlier attempt built are skipped, so a retry continues where it stopped.
      String fitted = PgDumpPrologue.forTarget(dump, t.call("reading the target's settings", PgDumpPrologue::settings));
      PgPostData.apply(t.endpoint(), PgPostData.parse(fitted), Math.max(1, plan.copyParallelism()));
    } catch (SQLException e) {
      throw postDataFailure(t.endpoint(), e);
    }
  }

  /**
   * Lost connections, deadlocks and cancellations are worth a retry; anything else (duplicate
   * rows under a unique index, a missing extension) needs a person.
   */
  private static RuntimeException postDataFailure(PgEndpoint target, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String what = "building indexes and constraints on the " + target + " failed: " + e.getMessage();
    if (state.startsWith("08") || state.startsWith("57") || state.startsWith("53") || state.equals("40P01")
        || state.equals("40001")) {
      return new IllegalStateException(what, e);
    }
    return new MigrationException(FailureTypes.PREREQUISITE, what + "; what was built so far stays and a retry"
        + " continues after it; fix the cause on the target (objects of the same name, missing roles or"
        + " extensions, objects the selected tables depend on but the plan leaves out) and retry", e);
  }

  private static List<TableInfo> selected(PgSession s, MigrationPlan plan) {
    List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
    if (tables.isEmpty()) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the plan selects no table on the source; check tables.include and tables.exclude");
    }
    return tables;
  }

  private static boolean exists(PgSession on, TableInfo table) {
    return Boolean.TRUE.equals(on.one("looking for " + table.qualifiedName(),
        "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), PgInventory.quoted(table)));
  }

  private static List<String> postDataObjects(Connection c, TableInfo table) throws SQLException {
    String name = PgInventory.quoted(table);
    return Sql.query(c, POST_DATA_OBJECTS, rs -> table.qualifiedName() + " " + rs.getString(1),
        name, name, name, name, name);
  }

  private String dump(PgTools.Installation inst, PgEndpoint source, String section, List<String> scope,
      Duration lockTimeout) {
    // With owners and privileges: the application's role must own what it owned on the source
    // (row-level security and ALTER depend on it) and keep every grant, default privileges included.
    List<String> args = new ArrayList<>(List.of("--schema-only", "--section=" + section, "--no-publications",
        "--no-subscriptions", "--exclude-schema=" + PgNames.BOOKKEEPING_SCHEMA));
    args.addAll(scope);
    try {
      return PgLockBound.pgDump(tools, inst, source, args, lockTimeout);
    } catch (PgTools.ToolFailure e) {
      if (e.connectionProblem()) throw new IllegalStateException("dumping the source schema: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "dumping the source schema (" + section + ") failed: " + e.stderr()
              + "; check that the source user may read every selected table's definition", e);
    }
  }

  private void apply(PgTools.Installation inst, PgEndpoint target, String script, String doing) {
    try {
      tools.psqlScript(inst, target, script);
    } catch (PgTools.ToolFailure e) {
      if (e.connectionProblem()) throw new IllegalStateException(doing + " on the target: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          doing + " on the target failed and was rolled back: " + e.stderr() + "; fix the cause on the target"
              + " (objects of the same name, missing roles or extensions, objects the selected tables depend"
              + " on but the plan leaves out) and retry", e);
    }
  }
}
