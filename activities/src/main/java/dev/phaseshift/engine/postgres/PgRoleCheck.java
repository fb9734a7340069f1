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
 * that have no password on the target yet.
 */
final class PgRoleCheck {
  private PgRoleCheck() {}

  /** Every difference, per role and per database setting or privilege; empty when they agree. */
  static List<String> differences(Connection source, Connection target) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Role> wanted = PgRoles.read(source, used);
    Map<String, Role> present = PgRoles.read(target, used);
    List<String> d = new ArrayList<>();
    for (Role r : wanted.values()) {
      Role t = present.get(r.name());
      if (t == null) {
        d.add("role " + r.name() + ": missing on the target");
        continue;
      }
      for (String difference : PgRoles.differences(r, t)) d.add("role " + r.name() + ": " + difference);
    }
    Set<String> sourceSettings = PgRoles.databaseSettings(source);
    Set<String> targetSettings = PgRoles.databaseSettings(target);
    for (String s : sourceSettings) if (!targetSettings.contains(s)) d.add("database setting " + s + " missing on the target");
    for (String s : targetSettings) if (!sourceSettings.contains(s)) d.add("database setting " + s + " only on the target");
    Set<String> sourceGrants = PgRoles.databaseGrants(source, used);
    Set<String> targetGrants = PgRoles.databaseGrants(target, used);
    for (String g : sourceGrants) if (!targetGrants.contains(g)) d.add("database privilege " + g + " missing on the target");
    for (String g : targetGrants) if (!sourceGrants.contains(g)) d.add("database privilege " + g + " only on the target");
    return d;
  }

  /**
   * Login roles the database uses that cannot log in on the target with a password yet: the
   * target's {@code pg_authid} has none for them while the source has one (or the source may not
   * tell). Null when the target session may not read {@code pg_authid} either, so nobody can check.
   */
  static List<String> loginsWithoutPassword(Connection source, Connection target) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Boolean> onTarget = PgRoles.passwordSet(target, used);
    if (onTarget == null) return null;
    Map<String, Boolean> onSource = PgRoles.passwordSet(source, used);
    List<String> waiting = new ArrayList<>();
    for (Role r : PgRoles.read(source, used).values()) {
      if (!r.login()) continue;
      boolean sourceHasOne = onSource == null || Boolean.TRUE.equals(onSource.get(r.name()));
      if (sourceHasOne && !Boolean.TRUE.equals(onTarget.get(r.name()))) waiting.add(r.name());
    }
    return waiting;
  }

  /** PREPARE's findings: what the role copy will not do by itself, before anything is created. */
  static void findings(Connection source, Connection target, List<Finding> findings) throws SQLException {
    Set<String> used = PgRoles.used(source);
    Map<String, Role> wanted = PgRoles.read(source, used);
    Map<String, Role> present = PgRoles.read(target, used);
    for (Role r : wanted.values()) {
      Role t = present.get(r.name());
      if (t == null) continue;
      List<String> d = PgRoles.differences(r, t);
      if (d.isEmpty()) continue;
      findings.add(new Finding(Severity.WARNING, "role_differs_on_target", "role " + r.name(),
          "role " + r.name() + " exists on the target and differs from the source: " + String.join("; ", d)
              + "; Phaseshift never changes a role the target already has (it may serve other databases there),"
              + " and validation blocks the switchover until they agree: align it with ALTER ROLE / GRANT on"
              + " the target"));
    }
    List<String> toCreate = wanted.keySet().stream().filter(n -> !present.containsKey(n)).toList();
    String who = Sql.one(target, "SELECT current_user", rs -> rs.getString(1));
    boolean superuser = Boolean.TRUE.equals(Sql.one(target, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
        rs -> rs.getBoolean(1)));
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
    if (PgRoles.mayReadVerifiers(source)) return;
    List<String> logins = wanted.values().stream().filter(Role::login).map(Role::name).toList();
    if (logins.isEmpty()) return;
    boolean targetReadable = PgRoles.mayReadVerifiers(target);
    findings.add(new Finding(targetReadable ? Severity.WARNING : Severity.BLOCKER, "role_without_password",
        "login roles " + String.join(", ", logins),
        "the source role may not read password verifiers (pg_authid, superusers only), so the login role(s) "
            + String.join(", ", logins) + " will have no password on the target unless they have one there already; "
            + (targetReadable ? "set each on the target (ALTER ROLE name PASSWORD ...): the switchover waits until"
                + " every one of them has a password there, and its status names those it waits for"
                : "the target role may not read pg_authid either, so nobody can check that they can log in there;"
                    + " run the migration with a superuser on the source (passwords are then carried) or on the"
                    + " target (then it waits until each has one)")));
  }
}
