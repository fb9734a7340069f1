package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * What differs between the two servers' PostgreSQL and its libraries, beyond the major version
 * itself: encoding, default collation and the library that implements it (glibc or ICU: another
 * version sorts text differently), collation versions recorded at CREATE DATABASE that no longer
 * match the library (indexes built then may be out of order), and defaults that changed between
 * majors. Every query reads catalogs that exist from PostgreSQL 13 on, choosing columns by version.
 */
final class PgVersionHazards {
  private PgVersionHazards() {}

  /** The database's text settings and collation library versions, as one server reports them. */
  record TextSettings(int major, String database, String encoding, String provider, String collate, String ctype, String locale,
      String recordedVersion, String actualVersion, String libcVersion, String icuVersion, boolean publicCreate) {

    /** A collation whose order cannot change with a library: C, POSIX or the builtin provider. */
    boolean stable() {
      return "builtin".equals(provider) || ("libc".equals(provider) && isCLocale(collate));
    }

    String describe() {
      String name = "icu".equals(provider) || "builtin".equals(provider) ? locale : collate;
      return name + " (" + provider + (actualVersion == null ? "" : " " + actualVersion) + ")";
    }
  }

  static TextSettings read(Connection c) throws SQLException {
    int version = PgInventory.serverVersionNum(c);
    // 15 added the database's own provider, ICU locale and recorded version; 17 renamed
    // daticulocale to datlocale (with the builtin provider); before 15 every database used libc.
    String provider = version >= 150000
        ? "CASE d.datlocprovider WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END" : "'libc'";
    String locale = version >= 170000 ? "d.datlocale" : version >= 150000 ? "d.daticulocale" : "NULL::text";
    String recorded = version >= 150000 ? "d.datcollversion" : "NULL::text";
    String actual = version >= 150000 ? "pg_database_collation_actual_version(d.oid)" : "NULL::text";
    return Sql.one(c, "SELECT pg_encoding_to_char(d.encoding), " + provider + ", d.datcollate, d.datctype, "
            + locale + ", " + recorded + ", " + actual + ","
            // glibc reports its own version for every libc collation but C and POSIX.
            + " (SELECT pg_collation_actual_version(oid) FROM pg_collation WHERE collprovider = 'c'"
            + "   AND collname NOT IN ('C', 'POSIX') AND pg_collation_actual_version(oid) IS NOT NULL LIMIT 1),"
            + " (SELECT pg_collation_actual_version(oid) FROM pg_collation WHERE collprovider = 'i' LIMIT 1),"
            + " EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a"
            + "   WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'), d.datname"
            + " FROM pg_database d WHERE d.datname = current_database()",
        rs -> {
          String prov = rs.getString(2);
          String act = rs.getString(7);
          // Before 15 the database's libc collation has no recorded version; the library's is the one in use.
          if (act == null && "libc".equals(prov) && !isCLocale(rs.getString(3))) act = rs.getString(8);
          return new TextSettings(version / 10000, rs.getString(11), rs.getString(1), prov, rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getString(6), act, rs.getString(8), rs.getString(9), rs.getBoolean(10));
        });
  }

  static void findings(TextSettings source, TextSettings target, List<Finding> findings) {
    if (!Objects.equals(source.encoding(), target.encoding())) {
      findings.add(new Finding(Severity.BLOCKER, "encoding_differs", "target database encoding",
          "the source database is encoded " + source.encoding() + ", the target database " + target.encoding()
              + "; rows would be converted or refused; create the target database with ENCODING '"
              + source.encoding() + "' (CREATE DATABASE ... TEMPLATE template0 ENCODING ...)"));
    }
    boolean sameCollation = Objects.equals(source.provider(), target.provider())
        && Objects.equals(source.collate(), target.collate()) && Objects.equals(source.ctype(), target.ctype())
        && Objects.equals(source.locale(), target.locale());
    if (!sameCollation) {
      findings.add(new Finding(Severity.WARNING, "collation_differs", "target database collation",
          "the target database's default collation is " + target.describe() + ", the source's "
              + source.describe() + ": text without an explicit COLLATE sorts and compares differently"
              + " (ORDER BY, range queries, unique indexes on text); create the target database with the"
              + " source's locale and provider (CREATE DATABASE " + Sql.ident(target.database())
              + " TEMPLATE template0 LOCALE_PROVIDER ... LOCALE ...) before the migration"));
    } else if (!source.stable() && !Objects.equals(source.actualVersion(), target.actualVersion())) {
      findings.add(new Finding(Severity.WARNING, "collation_library_differs", "target collation library",
          "both databases use collation " + source.describe() + " but the target's library is version "
              + target.actualVersion() + ": the same text can sort differently on each server. The target"
              + " builds its indexes with its own library, so they are consistent there, but ORDER BY results"
              + " may change and a unique index on text may refuse rows the source accepted; after a"
              + " rollback, REINDEX the source's text indexes only if its library changed too. Test the"
              + " application's sorted queries on the target before signing off"));
    }
    stale("source", source, findings);
    stale("target", target, findings);
    if (source.major() < 15 && target.major() >= 15 && source.publicCreate() && !target.publicCreate()) {
      findings.add(new Finding(Severity.WARNING, "public_schema_create", "target schema public",
          "on the source (PostgreSQL " + source.major() + ") every role may create objects in schema public;"
              + " PostgreSQL 15 and newer no longer allow that by default, and the target's public schema"
              + " does not; an application that creates tables there fails after the switchover unless you"
              + " run GRANT CREATE ON SCHEMA public TO <its role> (or PUBLIC) on the target"));
    }
  }

  /** A database whose recorded collation version no longer matches its library: indexes built before may be out of order. */
  private static void stale(String side, TextSettings s, List<Finding> findings) {
    if (s.recordedVersion() == null || s.actualVersion() == null || s.recordedVersion().equals(s.actualVersion())) {
      return;
    }
    findings.add(new Finding(Severity.WARNING, "collation_version_mismatch", side + " collation version",
        "the " + side + " database was created with collation version " + s.recordedVersion() + " of "
            + s.describe() + " but its library now is " + s.actualVersion() + ": text indexes built before the"
            + " library changed may be out of order (lookups miss rows, unique indexes admit duplicates);"
            + " REINDEX the text indexes in the " + side + " database, then run ALTER DATABASE ... REFRESH"
            + " COLLATION VERSION there"
            + ("source".equals(side) ? ", before the migration reads from it" : "")));
  }

  private static boolean isCLocale(String name) {
    return name == null || name.equals("C") || name.equals("POSIX") || name.startsWith("C.");
  }
}
