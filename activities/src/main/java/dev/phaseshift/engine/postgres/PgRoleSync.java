package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.postgres.PgRoles.Role;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates on the target the roles the source database uses ({@link PgRoles#used}) that it lacks,
 * with their attributes, memberships and settings, and gives the target database the source
 * database's settings and privileges. A role the target has already is compared, never changed:
 * it may serve other databases there. Password verifiers (SCRAM or md5, never the password itself)
 * are read from the source's {@code pg_authid} and written on the target within this class, so
 * they never reach a result, a log line or the workflow; when the source role may not read them,
 * the roles are created without, recorded as such in the bookkeeping schema ({@code created_roles}),
 * and {@link PgRoleCheck#loginsWithoutPassword} tells the switchover to wait until someone sets them.
 *
 * <p>Everything runs in one target transaction: a failure leaves no half-created role, and a
 * retry starts from the same state (a role created by an earlier, committed run is then one the
 * target has, and compares equal).
 */
final class PgRoleSync {
  private static final Logger log = LoggerFactory.getLogger(PgRoleSync.class);

  private PgRoleSync() {}

  /** What a run did: roles created, and differences found in roles the target already had. */
  record Outcome(List<String> created, List<String> differences) {}

  static Outcome sync(Connection source, Connection target) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Role> wanted = PgRoles.read(source, used);
    Map<String, Role> present = PgRoles.read(target, used);
    boolean carryPasswords = PgRoles.mayReadVerifiers(source);
    boolean targetSuperuser = superuser(target);
    String database = Sql.one(target, "SELECT current_database()", rs -> rs.getString(1));
    List<String> created = new ArrayList<>();
    List<String> differences = new ArrayList<>();
    Outcome outcome = Sql.inTransaction(target, () -> {
      try (Statement st = target.createStatement()) {
        Map<String, String> verifiers = new LinkedHashMap<>();
        for (Role r : wanted.values()) {
          if (present.containsKey(r.name())) continue;
          String sql = "CREATE ROLE " + Sql.ident(r.name()) + " WITH " + r.attributes();
          try {
            st.execute(sql);
          } catch (SQLException e) {
            throw new SQLException("creating role " + r.name() + " on the target: " + e.getMessage(), e.getSQLState());
          }
          // Apart, and never in a statement's text, which the target's server may log.
          String verifier = carryPasswords ? verifier(source, r.name()) : null;
          if (verifier != null) verifiers.put(r.name(), verifier);
          created.add(r.name());
          record(target, r.name(), carryPasswords);
        }
        PgVerifiers.set(target, verifiers);
        // A role that is not a superuser gives an object away only as a member of the new owner.
        if (!targetSuperuser) {
          for (String owner : PgRoles.owners(source)) {
            if (created.contains(owner)) st.execute("GRANT " + Sql.ident(owner) + " TO CURRENT_USER");
          }
        }
        for (String name : created) {
          Role r = wanted.get(name);
          for (String membership : r.memberOf()) {
            String role = membership.replace(" WITH ADMIN OPTION", "");
            boolean exists = present.containsKey(role) || wanted.containsKey(role) || exists(target, role);
            if (!exists) {
              differences.add("role " + name + ": member of " + role + " on the source; the target has no such role");
              continue;
            }
            st.execute("GRANT " + Sql.ident(role) + " TO " + Sql.ident(name)
                + (membership.endsWith(" WITH ADMIN OPTION") ? " WITH ADMIN OPTION" : ""));
          }
          for (String s : r.settings()) st.execute("ALTER ROLE " + Sql.ident(name) + " SET " + PgRoles.setClause(s));
          for (String s : r.settingsInDatabase()) {
            st.execute("ALTER ROLE " + Sql.ident(name) + " IN DATABASE " + Sql.ident(database) + " SET "
                + PgRoles.setClause(s));
          }
        }
        Set<String> own = PgRoles.migrationRoles(source, target);
        present.forEach((name, r) -> {
          if (own.contains(name)) return;
          for (String d : PgRoles.differences(wanted.get(name), r)) differences.add("role " + name + ": " + d);
        });
        databaseSettings(st, database, PgRoles.databaseSettings(source), PgRoles.databaseSettings(target));
        databaseGrants(st, database, PgRoles.databaseGrants(source, used), PgRoles.databaseGrants(target, used));
      }
      return new Outcome(List.copyOf(created), List.copyOf(differences));
    });
    log.info("roles on the target: {} created ({}), passwords {}; {} existing role(s) differ from the source",
        created.size(), String.join(", ", created), carryPasswords ? "carried" : "not readable on the source",
        differences.size());
    return outcome;
  }

  /**
   * Undo on a disposable target: drops the roles the migration created, with what they own and
   * were granted in this database (nothing else created them). A role that something in another
   * database of the target's server depends on, or that this session may not drop, stays. Returns
   * the roles kept.
   */
  static List<String> dropCreated(Connection target) throws SQLException {
    Boolean recorded = Sql.one(target, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1),
        Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "created_roles"));
    if (!Boolean.TRUE.equals(recorded)) return List.of();
    List<String> kept = new ArrayList<>();
    for (String role : Sql.query(target, "SELECT role_name FROM " + PgNames.BOOKKEEPING_SCHEMA
        + ".created_roles r WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.role_name) ORDER BY 1",
        rs -> rs.getString(1))) {
      try {
        Sql.inTransaction(target, () -> {
          Sql.exec(target, "DROP OWNED BY " + Sql.ident(role));
          Sql.exec(target, "DROP ROLE " + Sql.ident(role));
          return null;
        });
      } catch (SQLException e) {
        if (!"2BP01".equals(e.getSQLState()) && !"42501".equals(e.getSQLState())) throw e;
        log.info("role {} kept on the target: {}", role, e.getMessage());
        kept.add(role);
      }
    }
    return kept;
  }

  /** In the same transaction as the role, so the record and the role exist together or not at all. */
  private static void record(Connection target, String role, boolean passwordFromSource) throws SQLException {
    try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + PgNames.BOOKKEEPING_SCHEMA
        + ".created_roles (role_name, password_from_source) VALUES (?, ?) ON CONFLICT (role_name) DO UPDATE"
        + " SET password_from_source = excluded.password_from_source")) {
      ps.setString(1, role);
      ps.setBoolean(2, passwordFromSource);
      ps.executeUpdate();
    }
  }

  /** The role's verifier, only ever passed from here straight into the target's statement. */
  private static String verifier(Connection source, String role) throws SQLException {
    return Sql.one(source, "SELECT rolpassword FROM pg_authid WHERE rolname = ?", rs -> rs.getString(1), role);
  }

  private static boolean superuser(Connection c) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
        rs -> rs.getBoolean(1)));
  }

  private static boolean exists(Connection c, String role) throws SQLException {
    return Sql.one(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", rs -> rs.getInt(1), role) != null;
  }

  /** The target database gets exactly the source's settings (its own read-only switch aside). */
  private static void databaseSettings(Statement st, String database, Set<String> source, Set<String> target)
      throws SQLException {
    Set<String> sourceNames = new TreeSet<>(source.stream().map(PgRoles::settingName).toList());
    for (String s : source) {
      if (!target.contains(s)) st.execute("ALTER DATABASE " + Sql.ident(database) + " SET " + PgRoles.setClause(s));
    }
    for (String t : target) {
      if (!sourceNames.contains(PgRoles.settingName(t))) {
        st.execute("ALTER DATABASE " + Sql.ident(database) + " RESET " + Sql.ident(PgRoles.settingName(t)));
      }
    }
  }

  /** Grants what the source database grants its roles and PUBLIC, and revokes what it does not. */
  private static void databaseGrants(Statement st, String database, Set<String> source, Set<String> target)
      throws SQLException {
    // Revokes first: a grant the target holds WITH GRANT OPTION and the source without is revoked
    // whole and then granted again as the source has it.
    for (String g : target) if (!source.contains(g)) st.execute(grantStatement("REVOKE", database, g));
    for (String g : source) if (!target.contains(g)) st.execute(grantStatement("GRANT", database, g));
  }

  /** From "grantee PRIVILEGE[ WITH GRANT OPTION]" as {@link PgRoles#databaseGrants} lists them. */
  private static String grantStatement(String verb, String database, String grant) {
    boolean grantable = grant.endsWith(" WITH GRANT OPTION");
    String g = grantable ? grant.substring(0, grant.length() - " WITH GRANT OPTION".length()) : grant;
    int space = g.lastIndexOf(' ');
    String grantee = g.substring(0, space);
    String privilege = g.substring(space + 1);
    String who = "PUBLIC".equals(grantee) ? "PUBLIC" : Sql.ident(grantee);
    String on = privilege + " ON DATABASE " + Sql.ident(database);
    if ("GRANT".equals(verb)) return "GRANT " + on + " TO " + who + (grantable ? " WITH GRANT OPTION" : "");
    return "REVOKE " + on + " FROM " + who + " CASCADE";
  }
}
