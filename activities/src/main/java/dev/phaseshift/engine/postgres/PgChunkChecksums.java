package dev.phaseshift.engine.postgres;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Checksums pieces of tables on one side, on several sessions that all import the side's pinned
 * snapshot, so every piece is read at the same point as if one session read them all. Largest
 * pieces go first: the sessions then finish at about the same time.
 */
final class PgChunkChecksums {
  /** Row text depends on these settings; both sides must render values identically. */
  static final String[] TEXT_SETTINGS = {
    "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3", "SET bytea_output = 'hex'"
  };

  /**
   * Row hashes (see {@link PgRowHash}) are summed, so the result does not depend on row order and
   * a duplicated or missing row changes it (an exclusive or would let pairs of duplicates cancel).
   * A sum of bigints is exact (numeric) and PostgreSQL adds them in 128-bit integers, which costs
   * a fraction of adding numerics.
   */
  static String sql(String quotedTable, String rowHash, String where) {
    return "SELECT count(*), coalesce(sum(" + rowHash + "), 0)::text FROM " + quotedTable + " t" + where;
  }

  /** Count and hash sum of the rows of one piece. */
  record Checksum(long rows, BigInteger sum) {}

  /** One piece of work: {@code sql} returns its count and sum; {@code weight} orders the queue. */
  record Piece(int id, String sql, long weight) {}

  private final PgEndpoint side;
  private final String snapshot;
  private final AtomicReferenceArray<Checksum> results;
  private final Queue<Piece> todo = new ConcurrentLinkedQueue<>();
  private final AtomicReference<RuntimeException> failure;
  private final Duration lockTimeout;

  /**
   * @param failure     shared by both sides: the first failure anywhere stops every session after
   *                    its current piece
   * @param lockTimeout longest a piece waits for its table's lock (a pending ACCESS EXCLUSIVE from
   *                    the application's DDL, say) before it tries again
   */
  PgChunkChecksums(PgEndpoint side, String snapshot, List<Piece> pieces, int ids,
      AtomicReference<RuntimeException> failure, Duration lockTimeout) {
    this.side = side;
    this.snapshot = snapshot;
    this.lockTimeout = lockTimeout;
    this.results = new AtomicReferenceArray<>(ids);
    this.failure = failure;
    List<Piece> sorted = new ArrayList<>(pieces);
    sorted.sort(Comparator.comparingLong(Piece::weight).reversed().thenComparingInt(Piece::id));
    todo.addAll(sorted);
  }

  /** Starts up to {@code sessions} sessions on {@code pool}; each takes pieces until none are left. */
  List<Future<?>> start(ExecutorService pool, int sessions) {
    List<Future<?>> running = new ArrayList<>();
    int n = Math.max(1, Math.min(sessions, todo.size()));
    if (todo.isEmpty()) return running;
    for (int i = 0; i < n; i++) running.add(pool.submit(this::session));
    return running;
  }

  /** The checksum of piece {@code id}, once every session has ended without failure. */
  Checksum result(int id) {
    return results.get(id);
  }

  private Void session() {
    String doing = "opening a validation session";
    try (Connection c = side.connect()) {
      for (String set : TEXT_SETTINGS) Sql.exec(c, set);
      // The plan bounds the sessions a validation takes; parallel workers under each would not be.
      Sql.exec(c, "SET max_parallel_workers_per_gather = 0");
      PgLockBound.apply(c, lockTimeout);
      Sql.exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      doing = "importing the validation snapshot";
      Sql.exec(c, "SET TRANSACTION SNAPSHOT " + Sql.literal(snapshot));
      Piece piece;
      while (failure.get() == null && (piece = todo.poll()) != null) {
        doing = "checksumming " + abbreviated(piece.sql());
        String sql = piece.sql();
        results.set(piece.id(), PgLockBound.inTransaction(c, lockTimeout, doing, () -> Sql.one(c, sql,
            rs -> new Checksum(rs.getLong(1), new BigInteger(rs.getString(2))))));
      }
      Sql.exec(c, "COMMIT");
      return null;
    } catch (SQLException e) {
      RuntimeException f = PgSession.failure(doing, side, e);
      failure.compareAndSet(null, f);
      throw f;
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      throw e;
    }
  }

  /** A piece's SQL can hold thousands of keys; a failure message needs only its start. */
  private static String abbreviated(String sql) {
    return sql.length() <= 300 ? sql : sql.substring(0, 300) + "...";
  }
}
