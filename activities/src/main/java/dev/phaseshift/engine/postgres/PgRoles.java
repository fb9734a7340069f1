package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The roles a database uses, as one server's catalogs describe them: who owns or was granted
 * anything in it (schemas, relations, columns, functions, types, large objects, default
 * privileges, policies, the database itself), who has settings in it, who is logged in to it, and
 * every role linked to those by membership (so groups and their members come along). Predefined
 * roles ({@code pg_*}) exist on every server and are kept only as memberships. Passwords are not
 * part of it: {@link PgRoleSync} moves verifiers itself so they never leave the worker's sessions.
 */
final class PgRoles {
  private PgRoles() {}

  /** One role's definition, comparable across servers (no oids). */
  record Role(String name, boolean superuser, boolean inherit, boolean createRole, boolean createDb, boolean login,
      boolean replication, boolean bypassRls, int connectionLimit, String validUntil, Set<String> memberOf,
      Set<String> settings, Set<String> settingsInDatabase) {

    /** The attribute clause of CREATE ROLE, e.g. {@code LOGIN NOSUPERUSER ... CONNECTION LIMIT 20}. */
    String attributes() {
      StringBuilder s = new StringBuilder();
      s.append(superuser ? "SUPERUSER" : "NOSUPERUSER").append(inherit ? " INHERIT" : " NOINHERIT")
          .append(createRole ? " CREATEROLE" : " NOCREATEROLE").append(createDb ? " CREATEDB" : " NOCREATEDB")
          .append(login ? " LOGIN" : " NOLOGIN").append(replication ? " REPLICATION" : " NOREPLICATION")
          .append(bypassRls ? " BYPASSRLS" : " NOBYPASSRLS").append(" CONNECTION LIMIT ").append(connectionLimit);
      if (validUntil != null) s.append(" VALID UNTIL ").append(Sql.literal(validUntil));
      return s.toString();
    }
  }

  /** Roles owning or granted something in the current database, with their membership closure. */
  static Set<String> used(Connection c) throws SQLException {
    return new TreeSet<>(Sql.query(c, USED, rs -> rs.getString(1), PgNames.BOOKKEEPING_SCHEMA));
  }

  /**
   * Where the roles come from. {@code aclexplode} lists grantors too: a grant made by a non-owner
   * is dumped under that grantor's name. Grantee 0 is PUBLIC. The closure walks memberships in
   * both directions from ordinary roles only (oid 16384 and up), so a membership in a predefined
   * role or of the bootstrap superuser does not pull in everyone else who has it.
   */
  private static final String USED = "WITH RECURSIVE"
      + " ns AS (SELECT oid, nspowner, nspacl FROM pg_namespace WHERE nspname <> 'information_schema'"
      + "   AND nspname <> ? AND nspname NOT LIKE 'pg\\_%'),"
      + " rel AS (SELECT oid, relowner, relacl FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns)),"
      + " acl(a) AS (SELECT nspacl FROM ns UNION ALL SELECT relacl FROM rel"
      + "   UNION ALL SELECT attacl FROM pg_attribute WHERE attacl IS NOT NULL AND attrelid IN (SELECT oid FROM rel)"
      + "   UNION ALL SELECT proacl FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)"
      + "   UNION ALL SELECT typacl FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)"
      + "   UNION ALL SELECT defaclacl FROM pg_default_acl"
      + "   UNION ALL SELECT lomacl FROM pg_largeobject_metadata"
      + "   UNION ALL SELECT datacl FROM pg_database WHERE datname = current_database()),"
      + " seed(oid) AS (SELECT nspowner FROM ns UNION SELECT relowner FROM rel"
      + "   UNION SELECT proowner FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)"
      + "   UNION SELECT typowner FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)"
      + "   UNION SELECT defaclrole FROM pg_default_acl UNION SELECT lomowner FROM pg_largeobject_metadata"
      + "   UNION SELECT unnest(polroles) FROM pg_policy"
      + "   UNION SELECT (aclexplode(a)).grantee FROM acl WHERE a IS NOT NULL"
      + "   UNION SELECT (aclexplode(a)).grantor FROM acl WHERE a IS NOT NULL"
      + "   UNION SELECT setrole FROM pg_db_role_setting"
      + "     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
      // The roles clients log in as, whether or not they own anything; not the migration's own sessions.
      + "   UNION SELECT usesysid FROM pg_stat_activity WHERE datname = current_database()"
      + "     AND backend_type = 'client backend' AND coalesce(application_name, '') <> 'phaseshift'),"
      + " closure(oid) AS (SELECT oid FROM seed WHERE oid IS NOT NULL AND oid <> 0"
      + "   UNION SELECT CASE WHEN m.roleid = c.oid THEN m.member ELSE m.roleid END"
      + "   FROM closure c JOIN pg_auth_members m ON c.oid IN (m.roleid, m.member) WHERE c.oid >= 16384"
      // The migration's own role is a member of the owners (publishing needs it), not one of the
      // application's roles: it comes along only when it owns or was granted something itself.
      + "   AND CASE WHEN m.roleid = c.oid THEN m.member ELSE m.roleid END"
      + "     <> (SELECT oid FROM pg_roles WHERE rolname = current_user))"
      + " SELECT rolname FROM pg_roles WHERE oid IN (SELECT oid FROM closure) AND rolname NOT LIKE 'pg\\_%'";

  /** Roles owning a schema or something in one (what the schema copy gives back to its owner). */
  static Set<String> owners(Connection c) throws SQLException {
    return new TreeSet<>(Sql.query(c, "WITH ns AS (SELECT oid, nspowner FROM pg_namespace"
        + "   WHERE nspname <> 'information_schema' AND nspname <> ? AND nspname NOT LIKE 'pg\\_%')"
        + " SELECT DISTINCT pg_get_userbyid(o) FROM (SELECT nspowner FROM ns"
        + "   UNION SELECT relowner FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns)"
        + "   UNION SELECT proowner FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)"
        + "   UNION SELECT typowner FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)) x(o)",
        rs -> rs.getString(1), PgNames.BOOKKEEPING_SCHEMA));
  }

  /** The named roles that exist on this server, by name. */
  static Map<String, Role> read(Connection c, Collection<String> names) throws SQLException {
    Object array = c.createArrayOf("text", names.toArray());
    Map<String, Set<String>> memberOf = new LinkedHashMap<>();
    for (String[] m : Sql.query(c, "SELECT u.rolname, r.rolname, m.admin_option FROM pg_auth_members m"
            + " JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ANY(?)",
        rs -> new String[] {rs.getString(1), rs.getString(2) + (rs.getBoolean(3) ? " WITH ADMIN OPTION" : "")},
        array)) {
      memberOf.computeIfAbsent(m[0], k -> new TreeSet<>()).add(m[1]);
    }
    Map<String, Set<String>> settings = new LinkedHashMap<>();
    Map<String, Set<String>> inDatabase = new LinkedHashMap<>();
    for (String[] s : Sql.query(c, "SELECT r.rolname, s.setdatabase <> 0, unnest(s.setconfig)"
            + " FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = ANY(?)"
            + " AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, array)) {
      ("t".equals(s[1]) ? inDatabase : settings).computeIfAbsent(s[0], k -> new TreeSet<>()).add(s[2]);
    }
    Map<String, Role> roles = new LinkedHashMap<>();
    for (Role r : Sql.query(c, "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,"
            + " rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil::text FROM pg_roles"
            + " WHERE rolname = ANY(?) ORDER BY rolname",
        rs -> new Role(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
            rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8), rs.getInt(9), rs.getString(10), Set.of(),
            Set.of(), Set.of()), array)) {
      roles.put(r.name(), new Role(r.name(), r.superuser(), r.inherit(), r.createRole(), r.createDb(), r.login(),
          r.replication(), r.bypassRls(), r.connectionLimit(), r.validUntil(),
          memberOf.getOrDefault(r.name(), Set.of()), settings.getOrDefault(r.name(), Set.of()),
          inDatabase.getOrDefault(r.name(), Set.of())));
    }
    return roles;
  }

  /**
   * Whether each named role has a password, or null when this session may not read {@code
   * pg_authid} (only superusers may): then nobody can tell.
   */
  static Map<String, Boolean> passwordSet(Connection c, Collection<String> names) throws SQLException {
    if (!mayReadVerifiers(c)) return null;
    Map<String, Boolean> set = new LinkedHashMap<>();
    for (Object[] row : Sql.query(c, "SELECT rolname, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = ANY(?)",
        rs -> new Object[] {rs.getString(1), rs.getBoolean(2)}, c.createArrayOf("text", names.toArray()))) {
      set.put((String) row[0], (Boolean) row[1]);
    }
    return set;
  }

  static boolean mayReadVerifiers(Connection c) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c, "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')",
        rs -> rs.getBoolean(1)));
  }

  /**
   * The current database's own settings ({@code ALTER DATABASE ... SET}). The read-only switch is
   * left out: the switchover and the rollback set it on the side that hands writes over.
   */
  static Set<String> databaseSettings(Connection c) throws SQLException {
    return new TreeSet<>(Sql.query(c, "SELECT unnest(setconfig) FROM pg_db_role_setting WHERE setrole = 0"
        + " AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
        rs -> rs.getString(1)).stream().filter(s -> !s.startsWith("default_transaction_read_only=")).toList());
  }

  /**
   * The current database's privileges as "grantee privilege[ WITH GRANT OPTION]", PUBLIC by that
   * name; only grantees among {@code roles} and PUBLIC, since a target's own administrative grants
   * (a monitoring role, say) are none of the migration's business. The owner's own privileges are
   * left out: the two databases may have different owners (the target's is the migration's role).
   */
  static Set<String> databaseGrants(Connection c, Set<String> roles) throws SQLException {
    Set<String> grants = new TreeSet<>();
    for (String[] g : Sql.query(c, "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN a.grantee = d.datdba"
            + " THEN NULL ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable"
            + " FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a"
            + " WHERE d.datname = current_database() AND a.grantee <> d.datdba",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})) {
      if (!"PUBLIC".equals(g[0]) && !roles.contains(g[0])) continue;
      grants.add(g[0] + " " + g[1] + ("t".equals(g[2]) ? " WITH GRANT OPTION" : ""));
    }
    return grants;
  }

  /** Settings that are lists of names are written back unquoted, as PostgreSQL stored them. */
  private static final Set<String> LIST_SETTINGS = Set.of("search_path", "temp_tablespaces",
      "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries");

  /** {@code name=value} as stored in {@code setconfig}, as the right side of {@code SET}. */
  static String setClause(String stored) {
    int eq = stored.indexOf('=');
    String name = stored.substring(0, eq);
    String value = stored.substring(eq + 1);
    return Sql.ident(name) + " = " + (LIST_SETTINGS.contains(name) ? value : Sql.literal(value));
  }

  static String settingName(String stored) {
    return stored.substring(0, stored.indexOf('='));
  }

  /**
   * The migration's own roles, the sessions' users on both sides: set up for the migration with
   * different privileges on each side, so they are compared by existence only.
   */
  static Set<String> migrationRoles(Connection source, Connection target) throws SQLException {
    Set<String> own = new TreeSet<>();
    own.add(Sql.one(source, "SELECT current_user", rs -> rs.getString(1)));
    own.add(Sql.one(target, "SELECT current_user", rs -> rs.getString(1)));
    return own;
  }

  /** What differs between a role on the source and the same-named role on the target, in words. */
  static List<String> differences(Role source, Role target) {
    List<String> d = new ArrayList<>();
    if (!source.attributes().equals(target.attributes())) {
      d.add("attributes " + source.attributes() + " on the source, " + target.attributes() + " on the target");
    }
    differ(d, "member of", source.memberOf(), target.memberOf());
    differ(d, "setting", source.settings(), target.settings());
    differ(d, "setting in the database", source.settingsInDatabase(), target.settingsInDatabase());
    return d;
  }

  /** Adds "what X missing on the target" and "what X only on the target" for each element that differs. */
  static void differ(List<String> d, String what, Set<String> source, Set<String> target) {
    for (String s : source) if (!target.contains(s)) d.add(what + " " + s + " missing on the target");
    for (String t : target) if (!source.contains(t)) d.add(what + " " + t + " only on the target");
  }
}
