package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The assessment's findings on objects the change stream does not carry or the target must
 * provide: unlogged tables (copied again inside the freeze, refused when that would not fit
 * maxFreeze), large objects (copied and kept current; the migration role must be able to read
 * them) and extensions (the target must offer each at the source's version).
 */
final class PgObjectFindings {
  private PgObjectFindings() {}

  /**
   * Unlogged tables are copied in full inside the freeze. One whose copy is estimated at more than
   * half of maxFreeze is refused; the others are named with the estimate.
   */
  static void unlogged(MigrationPlan plan, List<TableInfo> tables, List<Finding> findings) {
    long maxFreezeMillis = DurationText.parse(plan.cutover().maxFreeze()).toMillis();
    long bytes = 0;
    for (TableInfo t : PgUnloggedTables.of(tables)) bytes += t.bytes();
    long estimate = bytes * 1000 / PgUnloggedTables.ESTIMATE_BYTES_PER_SECOND;
    boolean tooLarge = estimate > maxFreezeMillis / 2;
    for (TableInfo t : PgUnloggedTables.of(tables)) {
      String name = PgInventory.quoted(t);
      String tradeOff = "it writes no WAL, so no stream carries it: it is copied with the others, and copied again in"
          + " full and compared inside the write freeze, where its rows written since reach the target; all unlogged"
          + " tables (" + bytes + " bytes) take an estimated " + estimate + " ms of cutover.maxFreeze "
          + plan.cutover().maxFreeze();
      if (tooLarge) {
        findings.add(new Finding(Severity.BLOCKER, "unlogged_table_too_large", t.qualifiedName(),
            t.qualifiedName() + " is UNLOGGED; " + tradeOff + ", more than half of it; choose: ALTER TABLE " + name
                + " SET LOGGED on the source (it then writes WAL and is streamed like the others), exclude it from"
                + " the plan (its rows stay behind), or raise cutover.maxFreeze"));
      } else {
        findings.add(new Finding(Severity.WARNING, "unlogged_table", t.qualifiedName(),
            t.qualifiedName() + " is UNLOGGED; " + tradeOff + "; to keep it out of the freeze, ALTER TABLE " + name
                + " SET LOGGED on the source or exclude it"));
      }
    }
  }

  /** Large objects are carried; the finding says how, and blocks on any the migration role cannot read. */
  static void largeObjects(Connection source, long count, List<Finding> findings) throws SQLException {
    if (count == 0) return;
    List<String> unreadable = Sql.query(source,
        "SELECT m.oid::text || ' (owner ' || pg_get_userbyid(m.lomowner) || ')' FROM pg_largeobject_metadata m"
            + " WHERE NOT (current_setting('lo_compat_privileges')::bool"
            + "   OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            + "   OR pg_has_role(m.lomowner, 'USAGE')"
            + "   OR EXISTS (SELECT 1 FROM aclexplode(m.lomacl) a WHERE a.privilege_type = 'SELECT'"
            + "     AND (a.grantee = 0 OR pg_has_role(a.grantee, 'USAGE'))))"
            + " ORDER BY m.oid LIMIT 20", rs -> rs.getString(1));
    if (!unreadable.isEmpty()) {
      findings.add(new Finding(Severity.BLOCKER, "large_objects_unreadable", "pg_largeobject",
          "the source user cannot read large object(s) " + String.join(", ", unreadable) + "; they must be copied"
              + " to the target: GRANT SELECT ON LARGE OBJECT <oid> TO the source user, or make it a member of"
              + " their owners"));
    }
    findings.add(new Finding(Severity.INFO, "large_objects", "pg_largeobject",
        "the source holds " + count + " large object(s); logical replication does not carry them, so they are"
            + " copied by oid with owner and grants after the bulk copy, compared and brought current again before"
            + " the write freeze and inside it (each pass reads all of them on both sides), and compared by"
            + " validation"));
  }

  /** Every source extension must be available on the target at the version the source runs. */
  static void extensions(Connection source, Connection target, int targetMajor, List<Finding> findings)
      throws SQLException {
    Map<String, String> used = new HashMap<>();
    Map<String, String> schemas = new HashMap<>();
    for (String[] e : Sql.query(source, "SELECT e.extname, e.extversion, n.nspname FROM pg_extension e"
        + " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})) {
      used.put(e[0], e[1]);
      schemas.put(e[0], e[2]);
    }
    Map<String, String> installed = new HashMap<>();
    for (String[] e : Sql.query(target, "SELECT extname, extversion FROM pg_extension",
        rs -> new String[] {rs.getString(1), rs.getString(2)})) {
      installed.put(e[0], e[1]);
    }
    Set<String> available = new HashSet<>(Sql.query(target,
        "SELECT name || ' ' || version FROM pg_available_extension_versions", rs -> rs.getString(1)));
    Map<String, String> defaults = new HashMap<>();
    for (String[] e : Sql.query(target, "SELECT name, default_version FROM pg_available_extensions",
        rs -> new String[] {rs.getString(1), rs.getString(2)})) {
      defaults.put(e[0], e[1]);
    }
    for (Map.Entry<String, String> e : used.entrySet()) {
      String ext = e.getKey();
      String version = e.getValue();
      String create = "CREATE EXTENSION " + Sql.ident(ext) + " VERSION " + Sql.literal(version) + " SCHEMA "
          + Sql.ident(schemas.get(ext));
      String there = installed.get(ext);
      if (version.equals(there)) continue;
      if (!available.contains(ext + " " + version)) {
        String offered = defaults.containsKey(ext) ? " (it offers version " + defaults.get(ext) + ")" : "";
        findings.add(new Finding(Severity.BLOCKER, "extension_unavailable", ext,
            "the source uses extension " + ext + " " + version + ", which the target server does not offer at that"
                + " version" + offered + "; install the package that provides it on the target server (Debian:"
                + " postgresql-" + targetMajor + "-" + ext + ", or postgresql-contrib for PostgreSQL's own modules),"
                + " then run " + create + " there before the migration"));
      } else if (there != null) {
        findings.add(new Finding(Severity.BLOCKER, "extension_version_differs", ext,
            "extension " + ext + " is installed at version " + there + " on the target and " + version
                + " on the source; run ALTER EXTENSION " + Sql.ident(ext) + " UPDATE TO " + Sql.literal(version)
                + " on the target"));
      } else if (!version.equals(defaults.get(ext))) {
        findings.add(new Finding(Severity.WARNING, "extension_version_default", ext,
            "the schema copy creates extension " + ext + " at the target's default version " + defaults.get(ext)
                + ", the source runs " + version + "; to get the same version run " + create
                + " on the target before the migration"));
      }
    }
  }
}
