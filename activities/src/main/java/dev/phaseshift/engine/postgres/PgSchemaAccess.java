package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Owners, privileges and per-schema default privileges of schemas, as the statements that give
 * them. A dump of selected tables ({@code pg_dump -t}) leaves schemas out, so a table subset gets
 * its schemas from these statements; comparing the statements read on both sides tells whether
 * the schemas agree. Grants by someone other than the owner are given by the session, which
 * changes nothing about who may do what.
 */
final class PgSchemaAccess {
  private PgSchemaAccess() {}

  private static final Map<String, String> DEFAULT_ACL_KINDS =
      Map.of("r", "TABLES", "S", "SEQUENCES", "f", "FUNCTIONS", "T", "TYPES", "n", "SCHEMAS");

  /** In a stable order, so that both sides' lists compare line by line. */
  static List<String> statements(Connection c, Collection<String> schemas) throws SQLException {
    Object names = c.createArrayOf("text", schemas.toArray());
    List<String> out = new ArrayList<>();
    out.addAll(Sql.query(c, "SELECT 'ALTER SCHEMA ' || quote_ident(nspname) || ' OWNER TO '"
        + " || quote_ident(pg_get_userbyid(nspowner)) || ';' FROM pg_namespace WHERE nspname = ANY(?) ORDER BY 1",
        rs -> rs.getString(1), names));
    // The owner's own privileges come with ownership; PUBLIC is grantee 0.
    out.addAll(Sql.query(c, "SELECT 'GRANT ' || a.privilege_type || ' ON SCHEMA ' || quote_ident(n.nspname)"
            + " || ' TO ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END"
            + " || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END || ';'"
            + " FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = ANY(?) AND a.grantee <> n.nspowner"
            + " ORDER BY 1",
        rs -> rs.getString(1), names));
    for (String[] d : Sql.query(c, "SELECT pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype::text,"
            + " a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee))"
            + " END, a.is_grantable::text FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace,"
            + " aclexplode(d.defaclacl) a WHERE n.nspname = ANY(?) ORDER BY 1, 2, 3, 4, 5",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6)}, names)) {
      out.add("ALTER DEFAULT PRIVILEGES FOR ROLE " + Sql.ident(d[0]) + " IN SCHEMA " + Sql.ident(d[1]) + " GRANT "
          + d[3] + " ON " + DEFAULT_ACL_KINDS.getOrDefault(d[2], d[2]) + " TO " + d[4]
          + ("true".equals(d[5]) ? " WITH GRANT OPTION" : "") + ";");
    }
    return out;
  }
}
