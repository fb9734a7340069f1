package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The 64-bit hash validation computes for each row of a table, as an SQL expression over the row
 * alias {@code t}. Validation sums it over the rows (see {@link PgChunkChecksums#sql}).
 *
 * <p>Two ways, same on both sides. Rendering the row as text and hashing the text works for every
 * type and across versions, but the output functions dominate the cost (jsonb and timestamptz
 * most). Where every column is of a built-in type whose hash function is stable across versions
 * (hash indexes survive pg_upgrade on it) and both servers have {@code hash_record_extended} (14
 * and later), the row is hashed from the values directly, at a third of the cost. That path counts
 * values as equal when the type's own equality does: {@code 1.0} and {@code 1.00} as numeric or in
 * jsonb, trailing blanks of {@code char(n)}. Enums (hashed by OID, which differs between servers),
 * collations other than the built-in deterministic ones, and all other types take the text path.
 */
final class PgRowHash {
  /** Built-in types hashed from their values; each one's hash depends on the value alone. */
  private static final List<String> VALUE_HASHED = List.of("int2", "int4", "int8", "bool", "text", "varchar",
      "bpchar", "bytea", "date", "time", "timestamp", "timestamptz", "uuid", "jsonb", "numeric");
  /** default, C and POSIX: deterministic, so text hashes its bytes whatever the server. */
  private static final String BUILT_IN_COLLATIONS = "(0, 100, 950, 951)";

  static final String TEXT = "hashtextextended(t::text, 0)";
  /**
   * hash_record_extended combines the column hashes linearly (times 31 plus the next); summed over
   * rows, values swapped between two rows of one column would cancel. Hashing the row hash again
   * makes it non-linear, so only equal rows contribute equal terms.
   */
  static final String VALUES = "hashint8extended(hash_record_extended(t, 0), 0)";

  private PgRowHash() {}

  /** The row hash expression for {@code table}, which must exist on both sides. */
  static String expression(Connection s, Connection t, TableInfo table) throws SQLException {
    if (PgInventory.serverVersionNum(s) < 140000 || PgInventory.serverVersionNum(t) < 140000) return TEXT;
    return valueHashable(s, table) && valueHashable(t, table) ? VALUES : TEXT;
  }

  private static boolean valueHashable(Connection c, TableInfo table) throws SQLException {
    Array types = c.createArrayOf("text", VALUE_HASHED.toArray());
    try {
      return Boolean.TRUE.equals(Sql.one(c,
          "SELECT coalesce(bool_and(ty.typnamespace = 'pg_catalog'::regnamespace AND ty.typname = ANY(?)"
              + " AND a.attcollation IN " + BUILT_IN_COLLATIONS + "), false)"
              + " FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
              + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped",
          rs -> rs.getBoolean(1), types, PgInventory.quoted(table)));
    } finally {
      types.free();
    }
  }
}
