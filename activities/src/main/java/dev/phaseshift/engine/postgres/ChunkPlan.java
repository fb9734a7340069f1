package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How one table is cut into chunks of physical blocks for the copy, read inside the snapshot
 * transaction: its columns, the COPY format they allow, and the ctid range of each chunk.
 */
record ChunkPlan(String qualified, String columns, String format, boolean partitioned, int chunkBlocks, int total,
    boolean lastOpen) {
  /** OIDs below this are built into PostgreSQL and the same on every server. */
  private static final int FIRST_NORMAL_OID = 16384;

  /** Reads the table's shape and cuts it into chunks of {@code chunkBlocks} blocks. */
  static ChunkPlan of(Connection source, TableInfo table, int chunkBlocks) throws SQLException {
    String qualified = Sql.qualified(table.schema(), table.name());
    int version = PgInventory.serverVersionNum(source);
    Shape shape = shape(source, table, qualified, version);
    String columns = shape.columns().stream().map(Sql::ident).collect(Collectors.joining(", "));
    // TID range scans arrived in PostgreSQL 14; before, each chunk would scan the whole table.
    int total = shape.partitioned() || version < 140000 ? 1
        : (int) Math.max(1, (shape.blocks() + chunkBlocks - 1) / chunkBlocks);
    return new ChunkPlan(qualified, columns, shape.binarySafe() ? "binary" : "text", shape.partitioned(),
        chunkBlocks, total, true);
  }

  /**
   * The same chunks with the last one bounded too. Slices of one table cut it each on its own and
   * may read different sizes when the table grows meanwhile; an open-ended last chunk of one slice
   * would then overlap a later chunk of another. Bounded chunks stay disjoint, and every row the
   * snapshot sees lies below any size read after the snapshot was taken.
   */
  ChunkPlan bounded() {
    return new ChunkPlan(qualified, columns, format, partitioned, chunkBlocks, total, false);
  }

  /** The query that reads chunk {@code i} on the source. */
  String select(int i) {
    return "SELECT " + columns + " FROM " + (partitioned ? "" : "ONLY ") + qualified
        + (total == 1 ? "" : ctidRange(i));
  }

  /**
   * Rows at block b belong to chunk b / chunkBlocks in every attempt: the rows the snapshot sees
   * all lie below the table size read inside the snapshot, whenever it is read, so chunk
   * boundaries stay stable across retries even when the table grows or shrinks meanwhile. The
   * last chunk is open-ended; beyond the size it only meets rows the snapshot does not see.
   */
  private String ctidRange(int chunk) {
    long from = (long) chunk * chunkBlocks;
    String lower = " WHERE ctid >= '(" + from + ",0)'::tid";
    if (lastOpen && chunk == total - 1) return lower;
    return lower + " AND ctid < '(" + (from + chunkBlocks) + ",0)'::tid";
  }

  private record Shape(List<String> columns, boolean binarySafe, boolean partitioned, long blocks) {}

  /**
   * Binary COPY is used unless a column is composite or an array of a type that is not built in:
   * those binary forms embed type OIDs, which differ between servers.
   */
  private static Shape shape(Connection source, TableInfo table, String qualified, int version) throws SQLException {
    boolean generatedColumns = version >= 120000;
    List<Object[]> cols = Sql.query(source,
        "SELECT a.attname, (bt.typtype = 'c' OR (bt.typlen = -1 AND bt.typelem <> 0"
            + "   AND (bt.typelem >= " + FIRST_NORMAL_OID + " OR et.typtype = 'c'))) AS embeds_oids"
            + " FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid"
            + " JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
            + " LEFT JOIN pg_type et ON et.oid = bt.typelem"
            + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped"
            + (generatedColumns ? " AND a.attgenerated = ''" : "")
            + " ORDER BY a.attnum",
        rs -> new Object[] {rs.getString(1), rs.getBoolean(2)}, qualified);
    if (cols.isEmpty()) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "source table " + table.qualifiedName() + " has no columns to copy");
    }
    Object[] rel = Sql.one(source,
        "SELECT relkind::text, pg_relation_size(oid) / current_setting('block_size')::bigint"
            + " FROM pg_class WHERE oid = ?::regclass",
        rs -> new Object[] {rs.getString(1), rs.getLong(2)}, qualified);
    return new Shape(
        cols.stream().map(c -> (String) c[0]).toList(),
        cols.stream().noneMatch(c -> (Boolean) c[1]),
        "p".equals(rel[0]),
        (Long) rel[1]);
  }
}
