package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy's bookkeeping on the target: a row in {@code phaseshift.copy_chunk} per committed chunk,
 * committed together with the chunk's rows, so a retried copy skips exactly the chunks that are
 * there. Also the per-table lock that keeps two attempts from writing one table at once.
 */
final class CopyLedger {
  private static final Logger log = LoggerFactory.getLogger(CopyLedger.class);

  static final String CHUNKS = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "copy_chunk");
  /** The chunk size of copies recorded before {@code chunk_blocks} was: a resumed copy keeps its chunks. */
  static final int LEGACY_CHUNK_BLOCKS = 2048;

  private CopyLedger() {}

  /** A chunk an earlier attempt committed. */
  record Chunk(String snapshot, long rows, long bytes, int blocks) {}

  static boolean bookkeepingExists(Connection target) throws SQLException {
    return Sql.one(target, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), CHUNKS);
  }

  /**
   * Chunks an earlier attempt committed under this snapshot. Chunks of another snapshot are from
   * a copy the workflow abandoned: their rows are a different point in time, so they go.
   */
  static Map<Integer, Chunk> recordedChunks(
      Connection target, MigrationPlan plan, TableInfo table, ChangeCapture capture) throws SQLException {
    String qualified = Sql.qualified(table.schema(), table.name());
    // ONLY keeps inheritance children out (they are tables of their own); a partitioned table
    // has no rows of its own, so there the partitions are meant.
    String relkind = Sql.one(target, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass(?)",
        rs -> rs.getString(1), qualified);
    if (relkind == null) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "target table " + table.qualifiedName() + " does not exist; the target schema must be"
              + " created before the copy");
    }
    String only = "p".equals(relkind) ? "" : "ONLY ";
    Map<Integer, Chunk> chunks = new HashMap<>();
    Sql.query(target, "SELECT chunk, snapshot, rows, bytes, chunk_blocks FROM " + CHUNKS
            + " WHERE migration = ? AND table_name = ?",
        rs -> chunks.put(rs.getInt(1), new Chunk(rs.getString(2), rs.getLong(3), rs.getLong(4),
            rs.getObject(5) == null ? LEGACY_CHUNK_BLOCKS : rs.getInt(5))),
        plan.name(), table.qualifiedName());
    boolean stale = chunks.values().stream().anyMatch(c -> !c.snapshot().equals(capture.snapshot()));
    if (stale) {
      requireSoleCopier(target, plan, table);
      Sql.inTransaction(target, () -> {
        Sql.exec(target, "TRUNCATE " + only + qualified);
        try (PreparedStatement ps = target.prepareStatement(
            "DELETE FROM " + CHUNKS + " WHERE migration = ? AND table_name = ?")) {
          ps.setString(1, plan.name());
          ps.setString(2, table.qualifiedName());
          return ps.executeUpdate();
        }
      });
      CopyLedger.unlock(target, plan, table);
      log.info("emptied {} on the target: its rows were copied under an earlier snapshot", qualified);
      return new HashMap<>();
    }
    if (chunks.isEmpty()) {
      // One statement, so one view of both: a slice of the same table running elsewhere commits
      // rows and their ledger rows together, and must not look like rows of someone else.
      Boolean hasRows = Sql.one(target, "SELECT EXISTS (SELECT 1 FROM " + only + qualified + ")"
              + " AND NOT EXISTS (SELECT 1 FROM " + CHUNKS + " WHERE migration = ? AND table_name = ?)",
          rs -> rs.getBoolean(1), plan.name(), table.qualifiedName());
      if (Boolean.TRUE.equals(hasRows)) {
        // Rows without bookkeeping are not ours: copying on top would duplicate them.
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "target table " + table.qualifiedName() + " already holds rows this migration did not"
                + " copy; empty it on the target (TRUNCATE " + qualified + ") and start again");
      }
    }
    return chunks;
  }

  /**
   * The chunk size of this table's copy: the one its recorded chunks were cut with, so a copy
   * resumed by a newer version with another default skips exactly the rows it has.
   */
  static int chunkBlocks(Map<Integer, Chunk> recorded, int otherwise) {
    return recorded.values().stream().findAny().map(Chunk::blocks).orElse(otherwise);
  }

  /** Records a chunk in the caller's transaction, which commits it together with the chunk's rows. */
  static void record(Connection target, MigrationPlan plan, TableInfo table, ChangeCapture capture, int chunk,
      long rows, long bytes, int chunkBlocks) throws SQLException {
    // Chunk commits of one table take turns, so the check below sees every chunk committed before.
    Sql.one(target, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", rs -> null,
        lockKey(plan, table) + " ledger");
    try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + CHUNKS
        + " (migration, table_name, chunk, snapshot, rows, bytes, chunk_blocks) SELECT ?, ?, ?, ?, ?, ?, ?"
        + " WHERE NOT EXISTS (SELECT 1 FROM " + CHUNKS + " WHERE migration = ? AND table_name = ? AND snapshot <> ?)")) {
      ps.setString(1, plan.name());
      ps.setString(2, table.qualifiedName());
      ps.setInt(3, chunk);
      ps.setString(4, capture.snapshot());
      ps.setLong(5, rows);
      ps.setLong(6, bytes);
      ps.setInt(7, chunkBlocks);
      ps.setString(8, plan.name());
      ps.setString(9, table.qualifiedName());
      ps.setString(10, capture.snapshot());
      if (ps.executeUpdate() == 0) {
        // An attempt under another snapshot (one Temporal had given up on, still running somewhere)
        // committed chunks of this table: rows of two points in time must not mix. The retry
        // empties the table once that attempt has stopped.
        throw new IllegalStateException("chunks of " + table.qualifiedName() + " copied under another snapshot"
            + " are on " + PgEndpoint.target(plan) + "; this attempt stops and its retry starts the table afresh");
      }
    }
  }

  /** Forgets every chunk of the migration, in the caller's transaction: the copy starts over. */
  static void forget(Connection target, MigrationPlan plan) throws SQLException {
    if (!bookkeepingExists(target)) return;
    try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + CHUNKS + " WHERE migration = ?")) {
      ps.setString(1, plan.name());
      ps.executeUpdate();
    }
  }

  static String lockKey(MigrationPlan plan, TableInfo table) {
    return "phaseshift copy " + plan.name() + " " + table.qualifiedName();
  }

  /** Session lock on the table's copy, so two attempts (single or batch) never write one table at once. */
  static void lock(Connection target, MigrationPlan plan, TableInfo table) throws SQLException {
    Boolean mine = Sql.one(target,
        "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", rs -> rs.getBoolean(1), lockKey(plan, table));
    if (!Boolean.TRUE.equals(mine)) {
      // An earlier attempt Temporal gave up on may still run in some worker; its chunks commit
      // under the same bookkeeping, so this attempt fails and the next retry resumes after it.
      throw new IllegalStateException("another attempt is still copying " + table.qualifiedName()
          + " to " + PgEndpoint.target(plan) + "; retry once it has stopped");
    }
  }

  /**
   * Session locks for one slice of a table's copy: the table's lock shared with the other slices
   * (a whole-table attempt and an emptying of the table exclude them all) and the slice's own.
   */
  static void lockSlice(Connection target, MigrationPlan plan, TableSlice slice) throws SQLException {
    TableInfo table = slice.table();
    Boolean shared = Sql.one(target, "SELECT pg_try_advisory_lock_shared(hashtextextended(?, 0))",
        rs -> rs.getBoolean(1), lockKey(plan, table));
    Boolean mine = Boolean.TRUE.equals(shared) && Sql.one(target, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))",
        rs -> rs.getBoolean(1), lockKey(plan, table) + " slice " + slice.slice() + "/" + slice.slices());
    if (!Boolean.TRUE.equals(mine)) {
      if (Boolean.TRUE.equals(shared)) unlockShared(target, plan, table);
      throw new IllegalStateException("another attempt is still copying " + slice.label()
          + " to " + PgEndpoint.target(plan) + "; retry once it has stopped");
    }
  }

  static void unlockSlice(Connection target, MigrationPlan plan, TableSlice slice) throws SQLException {
    Sql.one(target, "SELECT pg_advisory_unlock(hashtextextended(?, 0))", rs -> rs.getBoolean(1),
        lockKey(plan, slice.table()) + " slice " + slice.slice() + "/" + slice.slices());
    unlockShared(target, plan, slice.table());
  }

  private static void unlockShared(Connection target, MigrationPlan plan, TableInfo table) throws SQLException {
    Sql.one(target, "SELECT pg_advisory_unlock_shared(hashtextextended(?, 0))", rs -> rs.getBoolean(1),
        lockKey(plan, table));
  }

  /**
   * The table's lock taken exclusively on top of what this session holds (a session does not
   * conflict with itself), so a table is emptied only while no other attempt or slice copies it.
   * The caller gives it back with {@link #unlock} once done.
   */
  private static void requireSoleCopier(Connection target, MigrationPlan plan, TableInfo table) throws SQLException {
    Boolean sole = Sql.one(target, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", rs -> rs.getBoolean(1),
        lockKey(plan, table));
    if (!Boolean.TRUE.equals(sole)) {
      throw new IllegalStateException("chunks of " + table.qualifiedName() + " from an earlier snapshot must go,"
          + " but another attempt is still copying it to " + PgEndpoint.target(plan) + "; retry once it has stopped");
    }
  }

  static void unlock(Connection target, MigrationPlan plan, TableInfo table) throws SQLException {
    Sql.one(target, "SELECT pg_advisory_unlock(hashtextextended(?, 0))", rs -> rs.getBoolean(1),
        lockKey(plan, table));
  }
}
