package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * PREPARE's check that a target role that is not a superuser can give every copied object to its
 * owner, as PostgreSQL allows it ({@link PgOwnerHandover}): it must be able to act as each owner
 * (a member of it; from PostgreSQL 16 with the SET option) and to grant the owners CREATE where
 * they need it for the copy (owning the target database, and owning, or being a member of the
 * owner of, each schema the target already has that holds objects of other owners). What it
 * cannot do is a blocker with the exact statement to run on the target.
 */
final class PgOwnerChecks {
  private PgOwnerChecks() {}

  /**
   * @param present roles the target has already (the copy creates the others and makes the target
   *                role a member of the owners among them)
   */
  static void findings(Connection source, Connection target, String who, Set<String> present, List<Finding> findings)
      throws SQLException {
    int version = Sql.one(target, "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1));
    // From 16 membership alone no longer lets a role act as another: SET must be granted with it.
    String mode = version >= 160000 ? "SET" : "MEMBER";
    String grantOption = version >= 160000 ? " WITH SET TRUE" : "";
    Set<String> owners = PgRoles.owners(source);
    for (String owner : owners) {
      if (!present.contains(owner) || owner.equals(who) || owner.startsWith("pg_")) continue;
      Boolean may = Sql.one(target, "SELECT pg_has_role(current_user, ?, '" + mode + "')", rs -> rs.getBoolean(1), owner);
      if (!Boolean.TRUE.equals(may)) {
        findings.add(new Finding(Severity.BLOCKER, PgPrivileges.CODE, "target role " + who + ": member of " + owner,
            "the target role " + who + " is not a superuser, so it can give the objects " + owner + " owns on the"
                + " source back to " + owner + " only as a member of it" + (version >= 160000 ? " with the SET option"
                : "") + "; run on the target: GRANT " + Sql.ident(owner) + " TO " + Sql.ident(who) + grantOption));
      }
    }
    // Schemas the target has already (public, say) that hold objects of another owner on the source.
    for (String[] row : Sql.query(source, "SELECT DISTINCT n.nspname, pg_get_userbyid(c.relowner) FROM pg_class c"
        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner <> n.nspowner"
        + " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> ?"
        + " ORDER BY 1, 2", rs -> new String[] {rs.getString(1), rs.getString(2)}, PgNames.BOOKKEEPING_SCHEMA)) {
      String schema = row[0];
      String owner = row[1];
      if (owner.equals(who)) continue;
      Boolean canGrant = Sql.one(target, "SELECT pg_has_role(current_user, nspowner, 'USAGE')"
          + " OR has_schema_privilege(current_user, oid, 'CREATE WITH GRANT OPTION') FROM pg_namespace"
          + " WHERE nspname = ?", rs -> rs.getBoolean(1), schema);
      if (canGrant == null || canGrant) continue;
      Boolean ownerMay = present.contains(owner) ? Sql.one(target,
          "SELECT has_schema_privilege(?, (SELECT oid FROM pg_namespace WHERE nspname = ?), 'CREATE')",
          rs -> rs.getBoolean(1), owner, schema) : Boolean.FALSE;
      if (Boolean.TRUE.equals(ownerMay)) continue;
      findings.add(new Finding(Severity.BLOCKER, PgPrivileges.CODE, "target role " + who + ": schema " + schema,
          "objects in schema " + schema + " belong to " + owner + " on the source; the target role " + who
              + " is not a superuser and may not let " + owner + " create in " + schema + " on the target, which"
              + " giving them to " + owner + " requires; run on the target: "
              + (present.contains(owner) ? "" : "CREATE ROLE " + Sql.ident(owner) + " (as on the source); ")
              + "GRANT CREATE ON SCHEMA " + Sql.ident(schema) + " TO " + Sql.ident(owner)
              + " (or make " + who + " a member of the schema's owner)"));
    }
    List<String> others = owners.stream().filter(o -> !o.equals(who) && !o.startsWith("pg_")).toList();
    if (!others.isEmpty()) {
      findings.add(new Finding(Severity.INFO, "owners_handover", "target role " + who,
          "the target role " + who + " is not a superuser: the schema copy gives every object back to its owner ("
              + String.join(", ", others) + ") as a member of each, granting an owner CREATE on the database or a"
              + " schema only for the copy's one transaction where PostgreSQL requires it and the source does not"
              + " grant it, and revoking it at its end"));
    }
  }
}
