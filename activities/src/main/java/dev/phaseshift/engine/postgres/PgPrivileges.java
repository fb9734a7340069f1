package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether the plan's roles may do everything the migration will ask of them, checked in PREPARE so
 * a missing grant stops the run before anything changed instead of failing (and retrying) in a
 * later phase. Each missing privilege is a blocker ending in the one statement that grants it, to
 * be run by an administrator on the side it names. A superuser may do everything.
 */
final class PgPrivileges {
  static final String CODE = "missing_privilege";
  /** Past this many tables of one schema lacking SELECT, one grant for the whole schema is proposed. */
  private static final int TABLES_PER_GRANT = 5;

  private PgPrivileges() {}

  /** What the session's role on the database is allowed, as far as the migration needs it. */
  private record Role(String name, boolean superuser, boolean replication, boolean mayCreate, boolean ownsDatabase,
      String databaseOwner, String database, boolean maySignal, boolean providerReplication, int version,
      boolean maySubscribe) {}

  private static Role role(Connection c) throws SQLException {
    return Sql.one(c, "SELECT r.rolname, r.rolsuper, r.rolreplication,"
            + " has_database_privilege(current_database(), 'CREATE'), pg_has_role(current_user, d.datdba, 'USAGE'),"
            + " pg_get_userbyid(d.datdba), current_database(), pg_has_role(current_user, 'pg_signal_backend', 'MEMBER'),"
            // Managed services grant replication through a role of theirs instead of the attribute.
            + " EXISTS (SELECT 1 FROM pg_roles p WHERE p.rolname = 'rds_replication'"
            + "   AND pg_has_role(current_user, p.oid, 'MEMBER')),"
            + " current_setting('server_version_num')::int,"
            + " EXISTS (SELECT 1 FROM pg_roles p WHERE p.rolname = 'pg_create_subscription'"
            + "   AND pg_has_role(current_user, p.oid, 'MEMBER'))"
            + " FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()",
        rs -> new Role(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
            rs.getString(6), rs.getString(7), rs.getBoolean(8), rs.getBoolean(9), rs.getInt(10),
            rs.getBoolean(11)));
  }

  /**
   * The source role streams changes (replication), publishes the selected tables (CREATE on the
   * database, ownership of each table), reads them and their sequences, and at the switchover
   * freezes the database (its owner) and ends application sessions (pg_signal_backend). With
   * reverse replication it also subscribes to the target afterwards.
   */
  static void source(Connection c, MigrationPlan plan, List<TableInfo> tables, List<Finding> findings)
      throws SQLException {
    Role r = role(c);
    if (r.superuser()) return;
    String who = Sql.ident(r.name());
    if (!r.replication() && !r.providerReplication()) {
      missing(findings, "source", r, "REPLICATION", "it streams the source's changes",
          "ALTER ROLE " + who + " REPLICATION");
    }
    if (!r.mayCreate()) {
      missing(findings, "source", r, "CREATE on database " + r.database(), "it creates the publication",
          "GRANT CREATE ON DATABASE " + Sql.ident(r.database()) + " TO " + who);
    }
    if (!r.ownsDatabase()) {
      missing(findings, "source", r, "ownership of database " + r.database(),
          "the switchover makes the database read-only (ALTER DATABASE)",
          "GRANT " + Sql.ident(r.databaseOwner()) + " TO " + who);
    }
    if (!r.maySignal()) {
      missing(findings, "source", r, "pg_signal_backend", "the switchover ends the application's open sessions",
          "GRANT pg_signal_backend TO " + who);
    }
    if (Boolean.TRUE.equals(plan.reverseReplication())) subscriber(findings, "source", r, who);
    tableFindings(c, r, who, tables, findings);
  }

  /**
   * The target role creates the schema and the bookkeeping (CREATE on the database and on each
   * schema that exists already), subscribes to the source, and for a rollback freezes the target;
   * with reverse replication it also streams the target's changes back.
   */
  static void target(Connection c, MigrationPlan plan, List<TableInfo> tables, List<Finding> findings)
      throws SQLException {
    Role r = role(c);
    if (r.superuser()) return;
    String who = Sql.ident(r.name());
    if (!r.mayCreate()) {
      missing(findings, "target", r, "CREATE on database " + r.database(), "it creates schemas and its bookkeeping",
          "GRANT CREATE ON DATABASE " + Sql.ident(r.database()) + " TO " + who);
    }
    for (String schema : new TreeSet<>(PgInventory.schemasOf(tables))) {
      Boolean mayCreate = Sql.one(c, "SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n"
          + " WHERE n.nspname = ?", rs -> rs.getBoolean(1), schema);
      if (Boolean.FALSE.equals(mayCreate)) {
        missing(findings, "target", r, "CREATE on schema " + schema, "it creates the tables there",
            "GRANT CREATE ON SCHEMA " + Sql.ident(schema) + " TO " + who);
      }
    }
    subscriber(findings, "target", r, who);
    if (!r.ownsDatabase()) {
      missing(findings, "target", r, "ownership of database " + r.database(),
          "a rollback makes the target read-only (ALTER DATABASE)", "GRANT " + Sql.ident(r.databaseOwner()) + " TO " + who);
    }
    if (Boolean.TRUE.equals(plan.reverseReplication()) && !r.replication() && !r.providerReplication()) {
      missing(findings, "target", r, "REPLICATION", "reverse replication streams the target's changes back",
          "ALTER ROLE " + who + " REPLICATION");
    }
  }

  /** CREATE SUBSCRIPTION: superusers only before PostgreSQL 16, then members of pg_create_subscription. */
  private static void subscriber(List<Finding> findings, String side, Role r, String who) {
    if (r.version() < 160000) {
      missing(findings, side, r, "superuser", "PostgreSQL " + r.version() / 10000
          + " lets only superusers create a subscription", "ALTER ROLE " + who + " SUPERUSER");
    } else if (!r.maySubscribe()) {
      missing(findings, side, r, "pg_create_subscription", "it creates a subscription",
          "GRANT pg_create_subscription TO " + who);
    }
  }

  private static void tableFindings(Connection c, Role r, String who, List<TableInfo> tables, List<Finding> findings)
      throws SQLException {
    Set<String> selected = new TreeSet<>();
    for (TableInfo t : tables) selected.add(t.qualifiedName());
    Set<String> schemas = PgInventory.schemasOf(tables);
    Map<String, List<String>> unreadable = new TreeMap<>();
    Map<String, List<String>> unreadableSequences = new TreeMap<>();
    Set<String> owners = new TreeSet<>();
    Set<String> schemasWithoutUsage = new TreeSet<>();
    for (String[] row : Sql.query(c, "SELECT n.nspname, c.relname, has_table_privilege(c.oid, 'SELECT'),"
            + " pg_has_role(current_user, c.relowner, 'USAGE'), pg_get_userbyid(c.relowner),"
            + " has_schema_privilege(n.oid, 'USAGE'), c.relkind::text"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'S')",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7)})) {
      // Sequences of the migrated schemas are copied at the switchover; tables only when selected.
      boolean sequence = "S".equals(row[6]);
      if (sequence ? !schemas.contains(row[0]) : !selected.contains(row[0] + "." + row[1])) continue;
      if ("f".equals(row[5])) schemasWithoutUsage.add(row[0]);
      if ("f".equals(row[2])) {
        (sequence ? unreadableSequences : unreadable).computeIfAbsent(row[0], k -> new ArrayList<>()).add(row[1]);
      }
      if (!sequence && "f".equals(row[3])) owners.add(row[4]);
    }
    for (String schema : schemasWithoutUsage) {
      missing(findings, "source", r, "USAGE on schema " + schema, "it reads the tables there",
          "GRANT USAGE ON SCHEMA " + Sql.ident(schema) + " TO " + who);
    }
    unreadable.forEach((schema, names) -> missing(findings, "source", r,
        "SELECT on " + names.size() + " table(s) of schema " + schema, "it copies and validates them",
        selectGrant("TABLES", schema, names) + " TO " + who));
    unreadableSequences.forEach((schema, names) -> missing(findings, "source", r,
        "SELECT on " + names.size() + " sequence(s) of schema " + schema, "the switchover copies their values",
        selectGrant("SEQUENCES", schema, names) + " TO " + who));
    for (String owner : owners) {
      missing(findings, "source", r, "ownership of the tables owned by " + owner,
          "only a table's owner may add it to a publication", "GRANT " + Sql.ident(owner) + " TO " + who);
    }
  }

  /** One grant per relation while they are few, else one for every relation of the kind in the schema. */
  private static String selectGrant(String kind, String schema, List<String> names) {
    return names.size() > TABLES_PER_GRANT ? "GRANT SELECT ON ALL " + kind + " IN SCHEMA " + Sql.ident(schema)
        : "GRANT SELECT ON " + String.join(", ", names.stream().map(n -> Sql.qualified(schema, n)).toList());
  }

  private static void missing(List<Finding> findings, String side, Role r, String privilege, String why,
      String statement) {
    findings.add(new Finding(Severity.BLOCKER, CODE, side + " role " + r.name() + ": " + privilege,
        "the " + side + " role " + r.name() + " lacks " + privilege + ", and " + why + "; run on the " + side + ": "
            + statement));
  }
}
