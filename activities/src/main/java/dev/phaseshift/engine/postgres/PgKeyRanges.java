package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How validation splits a table: half-open ranges of the leading primary-key column, the same
 * ranges on both sides, so a difference is found in a range that names where it is. Only integer
 * keys are split (their ranges need no collation, which could order text differently on the two
 * servers), and only when the target has an index leading with the same column: without one every
 * range would scan the whole table there. Anything else is compared whole.
 */
final class PgKeyRanges {
  private static final Set<String> INTEGER_TYPES = Set.of("int2", "int4", "int8");

  private PgKeyRanges() {}

  /** {@code from <= key < to}; a {@code null} bound is open. */
  record Range(String from, String to) {
    static final Range ALL = new Range(null, null);

    String where(String quotedKey) {
      if (from == null && to == null) return "";
      if (from == null) return " WHERE " + quotedKey + " < " + to;
      if (to == null) return " WHERE " + quotedKey + " >= " + from;
      return " WHERE " + quotedKey + " >= " + from + " AND " + quotedKey + " < " + to;
    }
  }

  /** A table's ranges; {@code key} is {@code null} when it is compared whole. */
  record Split(String key, List<Range> ranges) {
    static final Split WHOLE = new Split(null, List.of(Range.ALL));

    String where(Range range) {
      return key == null ? "" : range.where(Sql.ident(key));
    }
  }

  /**
   * Splits {@code table} into at most {@code chunks} ranges of equal key width between the smallest
   * and largest key the source holds at its snapshot; the first and last ranges are open so the
   * target's rows outside that span are compared too.
   *
   * @param s a source session in the validation's snapshot
   * @param t a target session in the validation's snapshot
   */
  static Split plan(Connection s, Connection t, TableInfo table, int chunks) throws SQLException {
    if (chunks < 2 || !table.hasPrimaryKey()) return Split.WHOLE;
    String quoted = PgInventory.quoted(table);
    String[] key = Sql.one(s,
        "SELECT a.attname, ty.typname FROM pg_index i"
            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
            + " JOIN pg_type ty ON ty.oid = a.atttypid"
            + " WHERE i.indrelid = to_regclass(?) AND i.indisprimary",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, quoted);
    if (key == null || !INTEGER_TYPES.contains(key[1])) return Split.WHOLE;
    Boolean indexed = Sql.one(t,
        "SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
            + " JOIN pg_index i ON i.indrelid = a.attrelid AND i.indkey[0] = a.attnum AND i.indisvalid"
            + " WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND NOT a.attisdropped AND ty.typname = ?)",
        rs -> rs.getBoolean(1), quoted, key[0], key[1]);
    if (!Boolean.TRUE.equals(indexed)) return Split.WHOLE;
    String col = Sql.ident(key[0]);
    // Both come off the index's ends: cheap even on a large table.
    String[] span = Sql.one(s, "SELECT min(" + col + ")::text, max(" + col + ")::text FROM " + quoted,
        rs -> new String[] {rs.getString(1), rs.getString(2)});
    if (span == null || span[0] == null) return Split.WHOLE;
    return new Split(key[0], ranges(new BigInteger(span[0]), new BigInteger(span[1]), chunks));
  }

  /** At most {@code chunks} ranges covering every integer, each inner one {@code ceil(width / chunks)} wide. */
  static List<Range> ranges(BigInteger min, BigInteger max, int chunks) {
    BigInteger width = max.subtract(min).add(BigInteger.ONE);
    BigInteger n = width.min(BigInteger.valueOf(chunks));
    if (n.compareTo(BigInteger.TWO) < 0) return List.of(Range.ALL);
    BigInteger step = width.add(n).subtract(BigInteger.ONE).divide(n);
    List<Range> out = new ArrayList<>();
    String from = null;
    for (BigInteger bound = min.add(step); bound.compareTo(max) <= 0; bound = bound.add(step)) {
      out.add(new Range(from, bound.toString()));
      from = bound.toString();
    }
    out.add(new Range(from, null));
    return out;
  }
}
