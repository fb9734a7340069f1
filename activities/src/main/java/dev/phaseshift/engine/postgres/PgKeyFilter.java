package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.TableInfo;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Names rows of one table by their replica identity, the key the slot reports changed rows by
 * ({@link PgChangedKeys}), as SQL over the row alias {@code t}. A key's text values are cast back
 * to the columns' types, so equality is the type's own (as the key's uniqueness is) and an index
 * on the key serves the lookup. With REPLICA IDENTITY FULL the whole row is the key; its columns
 * may be NULL, so rows are named by the text the slot sends instead: every column's output quoted
 * as a literal ({@code format('%L,%L', ...)}), which tells NULL from any value and can be hashed.
 *
 * @param columns the key columns in table order (the order the slot sends them in)
 * @param types   their types without modifier (a modifier could change a value on the cast)
 * @param fullRow whether the key is the whole row (REPLICA IDENTITY FULL)
 */
record PgKeyFilter(List<String> columns, List<String> types, boolean fullRow) {
  /** A table whose rows cannot be named: any change makes the whole table wait for the next round. */
  static final PgKeyFilter NONE = new PgKeyFilter(List.of(), List.of(), false);
  /** format() takes at most 100 arguments, the format string included. */
  private static final int MAX_FULL_ROW_COLUMNS = 99;

  boolean usable() {
    return !columns.isEmpty();
  }

  /**
   * The replica identity of {@code table} on the source: its primary key, or the index chosen with
   * REPLICA IDENTITY USING INDEX (unique, on NOT NULL columns). FULL and NOTHING name no row by a
   * key, nor does a table without either.
   */
  static PgKeyFilter of(Connection source, TableInfo table) throws SQLException {
    String quoted = PgInventory.quoted(table);
    List<String[]> rows = Sql.query(source,
        "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_class c"
            + " JOIN pg_index i ON i.indrelid = c.oid"
            + "  AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))"
            + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey::int2[])"
            + " WHERE c.oid = to_regclass(?) ORDER BY a.attnum",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, quoted);
    boolean full = false;
    if (rows.isEmpty() && "f".equals(Sql.one(source, "SELECT relreplident::text FROM pg_class WHERE oid = to_regclass(?)",
        rs -> rs.getString(1), quoted))) {
      // The columns the slot sends: generated ones are not published.
      rows = Sql.query(source, "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid ="
          + " to_regclass(?) AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
          rs -> new String[] {rs.getString(1), rs.getString(2)}, quoted);
      full = true;
    }
    if (rows.isEmpty() || (full && rows.size() > MAX_FULL_ROW_COLUMNS)) return NONE;
    return new PgKeyFilter(rows.stream().map(r -> r[0]).toList(), rows.stream().map(r -> r[1]).toList(), full);
  }

  /** {@code (t.a, t.b) IN (VALUES (...), ...)}: the rows with these keys. */
  String in(Collection<List<String>> keys) {
    if (fullRow) {
      String row = "format(" + Sql.literal(String.join(",", java.util.Collections.nCopies(columns.size(), "%L")))
          + columns.stream().map(c -> ", t." + Sql.ident(c)).collect(Collectors.joining()) + ")";
      return row + " IN (VALUES " + keys.stream().map(k -> "(" + Sql.literal(rowText(k)) + ")")
          .collect(Collectors.joining(", ")) + ")";
    }
    String row = columns.size() == 1 ? "t." + Sql.ident(columns.get(0))
        : columns.stream().map(c -> "t." + Sql.ident(c)).collect(Collectors.joining(", ", "(", ")"));
    return row + " IN (VALUES " + keys.stream().map(this::values).collect(Collectors.joining(", ")) + ")";
  }

  /** {@code NOT (... IN ...)}: every row but these; key columns are never NULL, so NOT IN is exact. */
  String notIn(Collection<List<String>> keys) {
    return "NOT (" + in(keys) + ")";
  }

  private String values(List<String> key) {
    List<String> literals = new ArrayList<>(key.size());
    for (int i = 0; i < key.size(); i++) {
      String value = key.get(i);
      literals.add((value == null ? "NULL" : Sql.literal(value)) + "::" + types.get(i));
    }
    return "(" + String.join(", ", literals) + ")";
  }

  /** What {@code format('%L,...')} makes of a row whose columns' output is {@code values}. */
  static String rowText(List<String> values) {
    return values.stream().map(PgKeyFilter::quoteLiteral).collect(Collectors.joining(","));
  }

  /** PostgreSQL's quote_literal: NULL unquoted, a backslash doubled inside an E'' literal. */
  static String quoteLiteral(String value) {
    if (value == null) return "NULL";
    String quoted = value.replace("'", "''");
    return value.contains("\\") ? "E'" + quoted.replace("\\", "\\\\") + "'" : "'" + quoted + "'";
  }

  /** A key as one line of text for operators, e.g. {@code (7, 'x')} or {@code 7}. */
  static String display(List<String> key) {
    if (key.size() == 1) return String.valueOf(key.get(0));
    return key.stream().map(String::valueOf).collect(Collectors.joining(", ", "(", ")"));
  }

  /**
   * Which of {@code ranges} (of the split column, see {@link PgKeyRanges}) holds the key, or -1 when
   * the split column is not part of the key and every range may hold it.
   */
  int rangeOf(List<String> key, String splitColumn, List<PgKeyRanges.Range> ranges) {
    int at = splitColumn == null ? -1 : columns.indexOf(splitColumn);
    if (at < 0 || key.get(at) == null) return ranges.size() == 1 ? 0 : -1;
    BigInteger value = new BigInteger(key.get(at));
    for (int i = 0; i < ranges.size(); i++) {
      PgKeyRanges.Range r = ranges.get(i);
      if ((r.from() == null || value.compareTo(new BigInteger(r.from())) >= 0)
          && (r.to() == null || value.compareTo(new BigInteger(r.to())) < 0)) {
        return i;
      }
    }
    return -1;
  }
}
