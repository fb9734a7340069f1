package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.postgres.PgRoles.Role;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares what the application's access depends on outside the schema dump: the roles the source
 * database uses ({@link PgRoles}), their attributes, memberships and settings, and the database's
 * own settings and privileges. Used by validation (every difference blocks the switchover), by
 * PREPARE (findings, before anything is created) and by the switchover's wait for login roles
 * that have no password on the target yet ({@link #loginsNotReady}).
 */
final class PgRoleCheck {
  private PgRoleCheck() {}

  /** Every difference, per role and per database setting or privilege; empty when they agree. */
  static List<String> differences(Connection source, Connection target) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Role> wanted = PgRoles.read(source, used);
    Map<String, Role> present = PgRoles.read(target, used);
    Set<String> own = PgRoles.migrationRoles(source, target);
    List<String> d = new ArrayList<>();
    for (Role r : wanted.values()) {
      Role t = present.get(r.name());
      if (t == null) {
        d.add("role " + r.name() + ": missing on the target");
        continue;
      }
      if (own.contains(r.name())) continue;
      for (String difference : PgRoles.differences(r, t)) d.add("role " + r.name() + ": " + difference);
    }
    PgRoles.differ(d, "database setting", PgRoles.databaseSettings(source), PgRoles.databaseSettings(target));
    PgRoles.differ(d, "database privilege", PgRoles.databaseGrants(source, used),
        PgRoles.databaseGrants(target, used));
    return d;
  }

  /** Owners, privileges and default privileges of the schemas, as {@link PgSchemaAccess} gives them. */
  static List<String> schemaAccessDifferences(Connection source, Connection target, Set<String> schemas)
      throws SQLException {
    List<String> src = PgSchemaAccess.statements(source, schemas);
    List<String> tgt = PgSchemaAccess.statements(target, schemas);
    List<String> d = new ArrayList<>();
    for (String line : src) if (!tgt.contains(line)) d.add("missing on target: " + line);
    for (String line : tgt) if (!src.contains(line)) d.add("only on target: " + line);
    return d;
  }

  /**
   * What keeps login roles from logging in on the target: each one the migration created without
   * its password (the source role could not read it) that has none there yet, with the statement
   * to run. Checked in {@code pg_authid}, not assumed; when the target role may not read it, that
   * is said instead, since nobody can tell then.
   */
  static List<String> loginsNotReady(PgEndpoint target) {
    try (PgSession t = PgSession.open(target)) {
      return t.call("checking that login roles have a password", PgRoleCheck::loginsNotReady);
    }
  }

  static List<String> loginsNotReady(Connection target) throws SQLException {
    Boolean recorded = Sql.one(target, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1),
        Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "created_roles"));
    if (!Boolean.TRUE.equals(recorded)) return List.of();
    List<String> created = Sql.query(target, "SELECT r.role_name FROM " + PgNames.BOOKKEEPING_SCHEMA
        + ".created_roles r JOIN pg_roles p ON p.rolname = r.role_name WHERE NOT r.password_from_source"
        + " AND p.rolcanlogin ORDER BY 1", rs -> rs.getString(1));
    if (created.isEmpty()) return List.of();
    if (!PgRoles.mayReadVerifiers(target)) {
      return List.of("a check that the login roles " + String.join(", ", created) + ", created without their"
          + " password, can log in on the target: the target role may not read pg_authid; set their passwords"
          + " and run the migration's target role as a superuser, so the check can see them");
    }
    return Sql.query(target, "SELECT r.role_name FROM " + PgNames.BOOKKEEPING_SCHEMA + ".created_roles r"
            + " JOIN pg_authid a ON a.rolname = r.role_name WHERE NOT r.password_from_source AND a.rolcanlogin"
            + " AND a.rolpassword IS NULL ORDER BY 1",
        rs -> "a password for login role " + rs.getString(1) + " on the target (it was created without one:"
            + " the source role may not read passwords); run there: ALTER ROLE " + Sql.ident(rs.getString(1))
            + " PASSWORD '...'");
  }

  /** PREPARE's findings: what the role copy will not do by itself, before anything is created. */
  static void findings(Connection source, Connection target, List<Finding> findings) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Role> wanted = PgRoles.read(source, used);
    Map<String, Role> present = PgRoles.read(target, used);
    Set<String> own = PgRoles.migrationRoles(source, target);
    for (Role r : wanted.values()) {
      Role t = present.get(r.name());
      if (t == null || own.contains(r.name())) continue;
      List<String> d = PgRoles.differences(r, t);
      if (d.isEmpty()) continue;
      // A blocker, not a warning: validation would fail on it after the whole copy otherwise.
      findings.add(new Finding(Severity.BLOCKER, "role_differs_on_target", "role " + r.name(),
          "role " + r.name() + " exists on the target and differs from the source: " + String.join("; ", d)
              + "; Phaseshift never changes a role the target already has (it may serve other databases there),"
              + " and validation would fail until they agree: align it with ALTER ROLE / GRANT on the target"));
    }
    List<String> toCreate = wanted.keySet().stream().filter(n -> !present.containsKey(n)).toList();
    String who = Sql.one(target, "SELECT current_user", rs -> rs.getString(1));
    boolean superuser = Boolean.TRUE.equals(Sql.one(target,
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", rs -> rs.getBoolean(1)));
    boolean createRole = Boolean.TRUE.equals(Sql.one(target,
        "SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user", rs -> rs.getBoolean(1)));
    if (!toCreate.isEmpty() && !superuser) {
      List<String> privileged = toCreate.stream().map(wanted::get)
          .filter(r -> r.superuser() || r.replication() || r.bypassRls()).map(Role::name).toList();
      if (!createRole || !privileged.isEmpty()) {
        findings.add(new Finding(Severity.BLOCKER, PgPrivileges.CODE, "target role " + who + ": roles",
            "the target role " + who + " must create the roles " + String.join(", ", toCreate) + " (owners, grantees"
                + " and login roles of the source database)" + (privileged.isEmpty() ? ", which needs CREATEROLE"
                : ", and " + String.join(", ", privileged) + " have SUPERUSER, REPLICATION or BYPASSRLS, which only"
                    + " a superuser may give") + "; run on the target: ALTER ROLE " + Sql.ident(who)
                + (privileged.isEmpty() ? " CREATEROLE" : " SUPERUSER") + ", or create those roles there first"));
      }
    }
    if (!superuser) PgOwnerChecks.findings(source, target, who, present.keySet(), findings);
    if (PgRoles.mayReadVerifiers(source)) return;
    // Roles the target has already keep their own passwords; only those the migration creates lack one.
    List<String> logins = toCreate.stream().map(wanted::get).filter(Role::login).map(Role::name).toList();
    if (logins.isEmpty()) return;
    boolean targetReadable = PgRoles.mayReadVerifiers(target);
    findings.add(new Finding(targetReadable ? Severity.WARNING : Severity.BLOCKER, "role_without_password",
        "login roles " + String.join(", ", logins),
        "the source role may not read password verifiers (pg_authid, superusers only), so the login role(s) "
            + String.join(", ", logins) + " will be created on the target without a password; "
            + (targetReadable ? "set each on the target (ALTER ROLE name PASSWORD ...): the switchover waits until"
                + " every one of them has a password there, and its status names those it waits for"
                : "the target role may not read pg_authid either, so nobody can check that they can log in there;"
                    + " run the migration with a superuser on the source (passwords are then carried) or on the"
                    + " target (then it waits until each has one)")));
  }
}
