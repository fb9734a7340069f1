package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ObjectCheck;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Large objects: logical replication does not carry them, so they are copied by oid, each with its
 * owner and grants where those roles exist on the receiving side, and brought current again before
 * and inside the freeze. Nothing records which large objects changed, so every pass compares a
 * digest of each object's content on both sides (computed on the servers, nothing is shipped) and
 * rewrites only those that differ; its cost grows with the total size of the large objects, and the
 * log says what it was. Reading them needs SELECT on each large object (its owner, a superuser, or a
 * grant).
 */
final class PgLargeObjects {
  private static final Logger log = LoggerFactory.getLogger(PgLargeObjects.class);
  static final String KIND = "large objects";

  /** What a pass changed on the receiving side, and how long it took. */
  record Sync(int written, int removed, long bytes, long millis) {}

  /** Content digest and owner of one large object. */
  private record Digest(String md5, long bytes, String owner) {}

  private PgLargeObjects() {}

  /** Makes {@code to}'s large objects those of {@code from}: same oids, content, owners and grants. */
  static Sync sync(PgSession from, PgSession to) {
    long started = System.nanoTime();
    Map<Long, Digest> want = from.call("reading the large objects", PgLargeObjects::digests);
    Map<Long, Digest> have = to.call("reading the large objects", PgLargeObjects::digests);
    return apply(from, to, want, have, started);
  }

  /**
   * Inside the freeze: {@link #sync}, then {@link #compare}. When the pass finds both sides equal
   * already (the pass before the freeze copied them and nothing wrote one since), its reading is
   * the comparison: the frozen side cannot change meanwhile, and reading every large object on
   * both sides a second time would only lengthen the freeze.
   */
  static ObjectCheck syncAndCompare(PgSession from, PgSession to) {
    long started = System.nanoTime();
    Map<Long, Digest> want = from.call("reading the large objects", PgLargeObjects::digests);
    Map<Long, Digest> have = to.call("reading the large objects", PgLargeObjects::digests);
    if (want.equals(have)) return check(want, have);
    apply(from, to, want, have, started);
    return compare(from, to);
  }

  private static Sync apply(PgSession from, PgSession to, Map<Long, Digest> want, Map<Long, Digest> have,
      long started) {
    int written = 0;
    int removed = 0;
    long bytes = 0;
    for (Map.Entry<Long, Digest> e : want.entrySet()) {
      long oid = e.getKey();
      Digest there = have.get(oid);
      boolean content = there == null || !there.md5().equals(e.getValue().md5());
      if (content) {
        byte[] data = from.one("reading large object " + oid, "SELECT lo_get(?::oid)", rs -> rs.getBytes(1), oid);
        to.inTransaction("writing large object " + oid, c -> {
          if (there != null) Sql.one(c, "SELECT lo_unlink(?::oid)", rs -> rs.getInt(1), oid);
          return Sql.one(c, "SELECT lo_from_bytea(?::oid, ?)", rs -> rs.getLong(1), oid, data);
        });
        written++;
        bytes += data.length;
      }
      if (content || !Objects.equals(there.owner(), e.getValue().owner())) {
        to.run("setting the owner and grants of large object " + oid, c -> ownerAndGrants(from, c, oid,
            e.getValue().owner()));
      }
    }
    for (long oid : have.keySet()) {
      if (want.containsKey(oid)) continue;
      to.one("removing large object " + oid, "SELECT lo_unlink(?::oid)", rs -> rs.getInt(1), oid);
      removed++;
    }
    Sync sync = new Sync(written, removed, bytes, (System.nanoTime() - started) / 1_000_000);
    log.info("large objects {} -> {}: {} compared, {} written ({} bytes), {} removed in {} ms", from.endpoint(),
        to.endpoint(), want.size(), sync.written(), sync.bytes(), sync.removed(), sync.millis());
    return sync;
  }

  /** Count, size, content and owners of the large objects on both sides. */
  static ObjectCheck compare(PgSession source, PgSession target) {
    Map<Long, Digest> src = source.call("reading the large objects", PgLargeObjects::digests);
    Map<Long, Digest> tgt = target.call("reading the large objects", PgLargeObjects::digests);
    return check(src, tgt);
  }

  private static ObjectCheck check(Map<Long, Digest> src, Map<Long, Digest> tgt) {
    List<String> differing = new ArrayList<>();
    TreeSet<Long> oids = new TreeSet<>(src.keySet());
    oids.addAll(tgt.keySet());
    for (long oid : oids) {
      if (!Objects.equals(src.get(oid), tgt.get(oid))) differing.add(String.valueOf(oid));
    }
    String note = differing.isEmpty() ? "compared by oid: content, size and owner"
        : "differing oid(s): " + String.join(", ", differing.subList(0, Math.min(20, differing.size())))
            + (differing.size() > 20 ? " and " + (differing.size() - 20) + " more" : "")
            + "; large objects are copied again before the freeze and inside it";
    return new ObjectCheck(KIND, "pg_largeobject", summary(src), summary(tgt), differing.isEmpty(), note);
  }

  private static String summary(Map<Long, Digest> objects) {
    return objects.size() + " object(s), " + objects.values().stream().mapToLong(Digest::bytes).sum() + " bytes";
  }

  private static Map<Long, Digest> digests(Connection c) throws SQLException {
    Map<Long, Digest> out = new TreeMap<>();
    for (Object[] row : Sql.query(c, "SELECT oid::bigint, md5(d), octet_length(d), pg_get_userbyid(lomowner)::text"
        + " FROM (SELECT oid, lomowner, lo_get(oid) d FROM pg_largeobject_metadata) o ORDER BY 1",
        rs -> new Object[] {rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)})) {
      out.put((Long) row[0], new Digest((String) row[1], (Long) row[2], (String) row[3]));
    }
    return out;
  }

  /**
   * Gives the object its source owner and the source's grants on it, for roles that exist on this
   * side; a role missing here keeps the default (the role-copying step creates roles first).
   */
  private static void ownerAndGrants(PgSession from, Connection to, long oid, String owner) throws SQLException {
    if (Sql.one(to, "SELECT to_regrole(?) IS NOT NULL", rs -> rs.getBoolean(1), Sql.ident(owner))) {
      Sql.exec(to, "ALTER LARGE OBJECT " + oid + " OWNER TO " + Sql.ident(owner));
    }
    List<String[]> grants = from.query("reading the grants on large object " + oid,
        "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END, a.privilege_type,"
            + " a.is_grantable FROM pg_largeobject_metadata m, aclexplode(m.lomacl) a WHERE m.oid = ?::oid",
        rs -> new String[] {rs.getString(1), rs.getString(2), String.valueOf(rs.getBoolean(3))}, oid);
    for (String[] g : grants) {
      String grantee = g[0] == null ? "PUBLIC" : Sql.ident(g[0]);
      if (g[0] != null && !Sql.one(to, "SELECT to_regrole(?) IS NOT NULL", rs -> rs.getBoolean(1), grantee)) continue;
      Sql.exec(to, "GRANT " + g[1] + " ON LARGE OBJECT " + oid + " TO " + grantee
          + (Boolean.parseBoolean(g[2]) ? " WITH GRANT OPTION" : ""));
    }
  }
}
