package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Lets a target role that is not a superuser give every object of the schema copy to its owner.
 * PostgreSQL allows {@code ALTER ... OWNER TO} by such a role when it may act as the new owner
 * (a member of it, from 16 with the SET option: {@link PgRoleSync} grants the owners it creates)
 * and the new owner may create where the object lives: CREATE on the database for a schema, on the
 * schema for what is in it. The dump sets the source's privileges only after its ownership
 * changes, so an owner that has CREATE somewhere only through a grant, or that owns objects in
 * another role's schema (a superuser's ALTER on the source), would make the copy fail. This
 * grants those CREATE privileges for the length of the copy's one transaction: on the database
 * and on schemas the target has before the script, and on schemas the script creates right after
 * it creates them (while the target role still owns them); at the end it revokes every one the
 * source does not grant itself, so the target ends with the source's privileges.
 */
final class PgOwnerHandover {
  private final List<String> before = new ArrayList<>();
  private final Map<String, List<String>> afterCreate = new LinkedHashMap<>();
  /** Revokes at the end, by schema (null for the database): only for schemas that then exist. */
  private final Map<String, List<String>> after = new LinkedHashMap<>();
  private final Set<String> existing = new TreeSet<>();

  private PgOwnerHandover() {}

  /** Nothing to do for a superuser, who may give anything to anyone. */
  static PgOwnerHandover none() {
    return new PgOwnerHandover();
  }

  /** Who must create where on the target, from the source's owners; run on the target role's session. */
  static PgOwnerHandover plan(Connection source, Connection target) throws SQLException {
    PgOwnerHandover h = new PgOwnerHandover();
    if (superuser(target)) return h;
    String me = Sql.one(target, "SELECT current_user", rs -> rs.getString(1));
    String database = Sql.one(target, "SELECT current_database()", rs -> rs.getString(1));
    for (String[] row : needs(source)) {
      String schema = row[0];
      String owner = row[1];
      boolean schemaOwner = "t".equals(row[2]);
      boolean sourceGrants = "t".equals(row[3]);
      if (owner.equals(me) || owner.equals("pg_database_owner") || !exists(target, owner)) continue;
      if (schemaOwner) {
        if (has(target, "SELECT has_database_privilege(?, current_database(), 'CREATE')", owner)) continue;
        h.before.add("GRANT CREATE ON DATABASE " + Sql.ident(database) + " TO " + Sql.ident(owner) + ";");
        if (!sourceDatabaseGrant(source, owner)) {
          h.revoke(null, "REVOKE CREATE ON DATABASE " + Sql.ident(database) + " FROM " + Sql.ident(owner) + ";");
        }
        continue;
      }
      String grant = "GRANT CREATE ON SCHEMA " + Sql.ident(schema) + " TO " + Sql.ident(owner) + ";";
      if (has(target, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)", schema)) {
        h.existing.add(schema);
        if (has(target, "SELECT has_schema_privilege(?, (SELECT oid FROM pg_namespace WHERE nspname = ?), 'CREATE')",
            owner, schema)) {
          continue;
        }
        h.before.add(grant);
      } else {
        h.afterCreate.computeIfAbsent(schema, k -> new ArrayList<>()).add(grant);
      }
      if (!sourceGrants) h.revoke(schema, "REVOKE CREATE ON SCHEMA " + Sql.ident(schema) + " FROM " + Sql.ident(owner) + ";");
    }
    return h;
  }

  private void revoke(String schema, String statement) {
    after.computeIfAbsent(schema, k -> new ArrayList<>()).add(statement);
  }

  /**
   * The pre-data script with the grants placed where they are needed and the revokes at its end
   * (a schema the script does not create, when the plan leaves it out, gets neither).
   */
  String around(String script) {
    if (before.isEmpty() && afterCreate.isEmpty()) return script;
    StringBuilder out = new StringBuilder();
    before.forEach(s -> out.append(s).append('\n'));
    Set<String> present = new TreeSet<>(existing);
    for (String line : script.split("\n", -1)) {
      out.append(line).append('\n');
      String created = createdSchema(line);
      if (created == null) continue;
      present.add(created);
      afterCreate.getOrDefault(created, List.of()).forEach(s -> out.append(s).append('\n'));
    }
    after.forEach((schema, statements) -> {
      if (schema == null || present.contains(schema)) statements.forEach(s -> out.append(s).append('\n'));
    });
    return out.toString();
  }

  /** The statements it adds, for the log and the tests. */
  List<String> statements() {
    List<String> all = new ArrayList<>(before);
    afterCreate.values().forEach(all::addAll);
    after.values().forEach(all::addAll);
    return all;
  }

  /**
   * Per schema the dump holds: each owner of it or of an object in it, whether that owner owns the
   * schema itself, and whether the source's schema ACL grants it CREATE explicitly.
   */
  private static List<String[]> needs(Connection source) throws SQLException {
    return Sql.query(source, "WITH ns AS (SELECT oid, nspname, nspowner, nspacl FROM pg_namespace"
        + "   WHERE nspname <> 'information_schema' AND nspname <> ? AND nspname NOT LIKE 'pg\\_%'),"
        + " owned AS (SELECT relnamespace AS ns, relowner AS owner FROM pg_class"
        + "   UNION SELECT pronamespace, proowner FROM pg_proc"
        + "   UNION SELECT typnamespace, typowner FROM pg_type WHERE typrelid = 0 AND typelem = 0"
        + "   UNION SELECT collnamespace, collowner FROM pg_collation"
        + "   UNION SELECT connamespace, conowner FROM pg_conversion"
        + "   UNION SELECT oprnamespace, oprowner FROM pg_operator)"
        + " SELECT n.nspname, pg_get_userbyid(o.owner), o.owner = n.nspowner,"
        + "   EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = o.owner AND a.privilege_type = 'CREATE')"
        + " FROM ns n JOIN (SELECT ns, owner FROM owned UNION SELECT oid, nspowner FROM ns) o ON o.ns = n.oid"
        + " ORDER BY o.owner <> n.nspowner, 1, 2",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getBoolean(3) ? "t" : "f", rs.getBoolean(4) ? "t" : "f"},
        PgNames.BOOKKEEPING_SCHEMA);
  }

  private static boolean sourceDatabaseGrant(Connection source, String role) throws SQLException {
    return has(source, "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
        + " WHERE d.datname = current_database() AND a.privilege_type = 'CREATE'"
        + " AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = ?))", role);
  }

  /** The schema a {@code CREATE SCHEMA name;} line of a dump creates, unquoted; null for any other line. */
  static String createdSchema(String line) {
    if (!line.startsWith("CREATE SCHEMA ") || !line.endsWith(";")) return null;
    String name = line.substring("CREATE SCHEMA ".length(), line.length() - 1);
    if (name.startsWith("\"") && name.endsWith("\"") && name.length() > 1) {
      return name.substring(1, name.length() - 1).replace("\"\"", "\"");
    }
    return name.contains(" ") ? null : name;
  }

  private static boolean superuser(Connection c) throws SQLException {
    return has(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
  }

  private static boolean exists(Connection c, String role) throws SQLException {
    return has(c, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role);
  }

  private static boolean has(Connection c, String sql, Object... args) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c, sql, rs -> rs.getBoolean(1), args));
  }
}
