package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Validator;
import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares source and target at one point while the application keeps writing. A short SHARE lock
 * on the selected tables pins their content; a snapshot on the source is taken under it, the
 * target is given time to apply everything up to that point and is snapshotted too, and the lock
 * goes. Both snapshots are exported, and the counting and checksumming runs on several sessions
 * per side that import them, both sides at once, without holding anything up. Large tables are
 * compared in key ranges (see {@link PgKeyRanges}): the work spreads over the sessions and a
 * difference is reported with the ranges it lies in.
 */
final class PgValidator implements Validator {
  private static final Logger log = LoggerFactory.getLogger(PgValidator.class);
  private static final Duration CATCH_UP = Duration.ofSeconds(30);
  private static final long POLL_MILLIS = 20;
  /**
   * About this much of a table (heap and indexes, as the inventory measures it) per key range: a
   * second or so of checksumming, small enough to spread a large table evenly over the sessions
   * and to point at a difference closely enough to look at it with a query.
   */
  static final long DEFAULT_CHUNK_BYTES = 64L * 1024 * 1024;
  /** A bound on the ranges per table, so a huge table's result stays a reasonable size. */
  static final int MAX_CHUNKS = 256;

  private static final ThreadFactory SESSION_THREADS = runnable -> {
    Thread thread = new Thread(runnable, "phaseshift-validate");
    thread.setDaemon(true);
    return thread;
  };

  private final PgTools tools;
  /** Longest the selected tables stay locked while the target catches up. */
  private final Duration catchUp;
  private final long chunkBytes;

  PgValidator(PgTools tools) {
    this(tools, CATCH_UP);
  }

  PgValidator(PgTools tools, Duration catchUp) {
    this(tools, catchUp, DEFAULT_CHUNK_BYTES);
  }

  PgValidator(PgTools tools, Duration catchUp, long chunkBytes) {
    if (chunkBytes < 1) throw new IllegalArgumentException("chunkBytes must be at least 1");
    this.tools = tools;
    this.catchUp = catchUp;
    this.chunkBytes = chunkBytes;
  }

  @Override
  public ValidationResult validate(MigrationPlan plan) {
    return validate(plan, PgNames.slot(plan));
  }

  @Override
  public ValidationResult checkDrift(MigrationPlan plan) {
    return PgDriftCheck.check(this::validate, plan);
  }

  /** Compares at a point of the stream recorded in {@code slot} on the plan's source. */
  ValidationResult validate(MigrationPlan plan, String slot) {
    long started = System.nanoTime();
    try (PgSession lock = PgSession.open(PgEndpoint.source(plan)); PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      if (tables.isEmpty()) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the plan selects no table on the source; check tables.include and tables.exclude");
      }
      List<PgInventory.Seq> sequences = s.call("listing sequences",
          c -> PgInventory.sequences(c, PgInventory.schemasOf(tables)));
      s.run("preparing the session", PgValidator::settings);
      t.run("preparing the session", PgValidator::settings);

      Pinned pinned = pinBothSides(lock.connection(), s, t, tables, slot, catchUp);
      long pinnedAt = System.nanoTime();
      List<TableValidation> results = compareContent(plan, pinned, s, t, tables);
      log.info("validation of {}: {} tables compared in {} ms on up to {} sessions per side", plan.name(),
          tables.size(), (System.nanoTime() - pinnedAt) / 1_000_000, sessions(plan));
      s.exec("ending the snapshot", "COMMIT");
      t.exec("ending the snapshot", "COMMIT");
      List<SequenceValue> sequenceValues = new ArrayList<>();
      for (PgInventory.Seq seq : sequences) {
        sequenceValues.add(new SequenceValue(seq.display(),
            s.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq)),
            t.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq))));
      }

      // Whole-database dumps compare everything the tables depend on (types, functions); when either
      // side holds tables outside the migration, only the migrated tables can be compared.
      Set<String> migrated = new TreeSet<>(tables.stream().map(TableInfo::qualifiedName).toList());
      boolean subset = s.call("listing tables", c -> PgInventory.isSubset(c, plan))
          || t.call("listing tables", PgInventory::allTables).stream()
              .anyMatch(other -> !migrated.contains(other.qualifiedName()));
      int newest = Math.max(s.call("reading the version", PgInventory::serverVersionNum),
          t.call("reading the version", PgInventory::serverVersionNum));
      List<String> schemaDifferences =
          schemaDifferences(tools.forServer(newest), s.endpoint(), t.endpoint(), subset, tables);

      int mismatches = (int) results.stream().filter(r -> !r.match()).count()
          + (schemaDifferences.isEmpty() ? 0 : Math.max(1, schemaDifferences.size()));
      return new ValidationResult(PgLsn.position(pinned.lsn()), listed(results),
          sequenceValues.stream().limit(ValidationResult.LISTED).toList(),
          schemaDifferences.stream().limit(ValidationResult.LISTED).toList(), mismatches,
          (System.nanoTime() - started) / 1_000_000, results.size(), sequenceValues.size());
    }
  }

  /**
   * Every table up to {@link ValidationResult#LISTED}; beyond, mismatches first, so a result for
   * 10,000 tables stays a few kilobytes in the workflow history and still names what differs.
   */
  static List<TableValidation> listed(List<TableValidation> results) {
    if (results.size() <= ValidationResult.LISTED) return results;
    List<TableValidation> listed = new ArrayList<>(results.stream().filter(r -> !r.match()).limit(ValidationResult.LISTED).toList());
    results.stream().filter(TableValidation::match).limit(ValidationResult.LISTED - listed.size()).forEach(listed::add);
    return listed;
  }

  /**
   * Leaves {@code s} and {@code t} each in a read-only repeatable-read snapshot showing the same
   * content of the selected tables, both exported for other sessions to import.
   */
  private static Pinned pinBothSides(Connection lock, PgSession source, PgSession target, List<TableInfo> tables,
      String slot, Duration catchUp) {
    Connection s = source.connection();
    Connection t = target.connection();
    String tableList = tables.stream().map(PgInventory::quoted).collect(Collectors.joining(", "));
    boolean locked = false;
    try {
      Sql.exec(lock, "BEGIN");
      // Writers queue behind the lock; a long-running writer must not hold them up for long.
      Sql.exec(lock, "SET LOCAL lock_timeout = '5s'");
      Sql.exec(lock, "LOCK TABLE " + tableList + " IN SHARE MODE");
      locked = true;
      // The insert position, not pg_current_wal_lsn(): that is the write position, which with
      // asynchronous commit can still lie before the commit records of transactions already visible.
      String lsn = Sql.one(lock, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1));
      PgInventory.flushWal(s);
      Sql.exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      // The first query takes the snapshot; exporting it lets more sessions read at the same point.
      String sourceSnapshot = Sql.one(s, "SELECT pg_export_snapshot()", rs -> rs.getString(1));
      waitForSlot(lock, t, slot, lsn, catchUp);
      Sql.exec(t, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      String targetSnapshot = Sql.one(t, "SELECT pg_export_snapshot()", rs -> rs.getString(1));
      Sql.exec(lock, "COMMIT");
      return new Pinned(lsn, sourceSnapshot, targetSnapshot);
    } catch (SQLException e) {
      rollback(lock);
      if ("55P03".equals(e.getSQLState())) {
        throw new IllegalStateException("could not lock the selected tables on the source within 5s (a long"
            + " transaction holds a conflicting lock); validation will try again", e);
      }
      throw PgSession.failure(locked ? "taking the consistent snapshot" : "locking the selected tables",
          (locked ? target : source).endpoint(), e);
    } catch (RuntimeException e) {
      rollback(lock);
      throw e;
    }
  }

  /** The source position both sides show, and the names of their exported snapshots. */
  private record Pinned(String lsn, String sourceSnapshot, String targetSnapshot) {}

  private static void waitForSlot(Connection c, Connection t, String slot, String lsn, Duration catchUp)
      throws SQLException {
    long deadline = System.nanoTime() + catchUp.toNanos();
    while (true) {
      PgInventory.flushWal(t);
      String[] state = Sql.one(c,
          "SELECT (confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= ?::pg_lsn)::text,"
              + " coalesce(confirmed_flush_lsn::text, 'none'),"
              + " coalesce(pg_wal_lsn_diff(?::pg_lsn, confirmed_flush_lsn)::bigint::text, '?')"
              + " FROM pg_replication_slots WHERE slot_name = ?",
          rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, lsn, lsn, slot);
      if (state == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "replication slot " + slot + " does not exist on the source, so the target is not receiving"
                + " changes; start the change stream again before validating");
      }
      if ("true".equals(state[0])) return;
      if (System.nanoTime() > deadline) {
        throw new MigrationException(FailureTypes.VALIDATION_FAILED,
            "the target did not catch up with the source within " + catchUp.toMillis() + "ms (slot " + slot
                + " confirmed " + state[1] + ", needed " + lsn + ", " + state[2] + " bytes behind); the write"
                + " pause was released; check that the subscription is enabled and its apply worker is not"
                + " failing (target server log), then validate again");
      }
      Polling.sleep(POLL_MILLIS);
    }
  }

  /** Sessions per side: the plan's copy parallelism, which is what it allows the servers to take. */
  private static int sessions(MigrationPlan plan) {
    return Math.max(1, plan.copyParallelism() == null ? 1 : plan.copyParallelism());
  }

  private int chunksFor(TableInfo table) {
    return (int) Math.min(MAX_CHUNKS, Math.max(1, (table.bytes() + chunkBytes - 1) / chunkBytes));
  }

  /** How one table was split and where its pieces are in the checksum results. */
  private record Layout(TableInfo table, boolean onTarget, PgKeyRanges.Split split, int firstPiece) {}

  /** Counts and checksums every range of every table on both sides, on the pinned snapshots. */
  private List<TableValidation> compareContent(MigrationPlan plan, Pinned pinned, PgSession s, PgSession t,
      List<TableInfo> tables) {
    List<Layout> layouts = new ArrayList<>();
    List<PgChunkChecksums.Piece> sourcePieces = new ArrayList<>();
    List<PgChunkChecksums.Piece> targetPieces = new ArrayList<>();
    int next = 0;
    for (TableInfo table : tables) {
      String quoted = PgInventory.quoted(table);
      boolean onTarget = Boolean.TRUE.equals(t.one("looking up " + table.qualifiedName(),
          "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), quoted));
      PgKeyRanges.Split split = !onTarget ? PgKeyRanges.Split.WHOLE
          : s.call("splitting " + table.qualifiedName(),
              c -> PgKeyRanges.plan(c, t.connection(), table, chunksFor(table)));
      String rowHash = !onTarget ? PgRowHash.TEXT
          : s.call("reading the columns of " + table.qualifiedName(),
              c -> PgRowHash.expression(c, t.connection(), table));
      layouts.add(new Layout(table, onTarget, split, next));
      long weight = table.bytes() / split.ranges().size();
      for (PgKeyRanges.Range range : split.ranges()) {
        PgChunkChecksums.Piece piece = new PgChunkChecksums.Piece(next++,
            PgChunkChecksums.sql(quoted, rowHash, split.where(range)), weight);
        sourcePieces.add(piece);
        if (onTarget) targetPieces.add(piece);
      }
    }

    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    PgChunkChecksums src = new PgChunkChecksums(s.endpoint(), pinned.sourceSnapshot(), sourcePieces, next, failure);
    PgChunkChecksums tgt = new PgChunkChecksums(t.endpoint(), pinned.targetSnapshot(), targetPieces, next, failure);
    int sessions = sessions(plan);
    ExecutorService pool = Executors.newFixedThreadPool(2 * sessions, SESSION_THREADS);
    try {
      // Both sides at once: each side's sessions take that side's pieces, largest first.
      List<Future<?>> running = new ArrayList<>(src.start(pool, sessions));
      running.addAll(tgt.start(pool, sessions));
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          // Recorded in failure; the other sessions stop after their current piece.
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure.compareAndSet(null, new IllegalStateException("interrupted while validating", e));
    } finally {
      pool.shutdownNow();
    }
    if (failure.get() != null) throw failure.get();

    List<TableValidation> results = new ArrayList<>();
    for (Layout layout : layouts) results.add(tableResult(layout, src, tgt));
    return results;
  }

  private static TableValidation tableResult(Layout layout, PgChunkChecksums src, PgChunkChecksums tgt) {
    PgKeyRanges.Split split = layout.split();
    long sourceRows = 0;
    long targetRows = 0;
    BigInteger sourceSum = BigInteger.ZERO;
    BigInteger targetSum = BigInteger.ZERO;
    List<ChunkDifference> differences = new ArrayList<>();
    for (int i = 0; i < split.ranges().size(); i++) {
      PgChunkChecksums.Checksum a = src.result(layout.firstPiece() + i);
      PgChunkChecksums.Checksum b = layout.onTarget() ? tgt.result(layout.firstPiece() + i)
          : new PgChunkChecksums.Checksum(0, BigInteger.ZERO);
      sourceRows += a.rows();
      targetRows += b.rows();
      sourceSum = sourceSum.add(a.sum());
      targetSum = targetSum.add(b.sum());
      if (!layout.onTarget() || a.rows() != b.rows() || !a.sum().equals(b.sum())) {
        PgKeyRanges.Range range = split.ranges().get(i);
        differences.add(new ChunkDifference(split.key(), range.from(), range.to(), a.rows(), b.rows()));
      }
    }
    // The sums of the pieces add up to the sum over the whole table, however it was split.
    return new TableValidation(layout.table().qualifiedName(), sourceRows, targetRows, sourceSum.toString(),
        layout.onTarget() ? targetSum.toString() : "missing", differences.isEmpty(), split.ranges().size(),
        differences);
  }

  private List<String> schemaDifferences(PgTools.Installation inst, PgEndpoint source, PgEndpoint target,
      boolean subset, List<TableInfo> tables) {
    List<String> args = new ArrayList<>(List.of("--schema-only", "--no-owner", "--no-privileges",
        "--no-publications", "--no-subscriptions", "--exclude-schema=" + PgNames.BOOKKEEPING_SCHEMA));
    if (subset) args.addAll(PgInventory.tableArgs(tables));
    Set<String> src = new TreeSet<>(PgTools.schemaLines(dump(inst, source, args)));
    Set<String> tgt = new TreeSet<>(PgTools.schemaLines(dump(inst, target, args)));
    List<String> differences = new ArrayList<>();
    for (String line : src) if (!tgt.contains(line)) differences.add("missing on target: " + line.strip());
    for (String line : tgt) if (!src.contains(line)) differences.add("only on target: " + line.strip());
    return differences;
  }

  private String dump(PgTools.Installation inst, PgEndpoint on, List<String> args) {
    try {
      return tools.pgDump(inst, on, args);
    } catch (PgTools.ToolFailure e) {
      if (e.connectionProblem()) throw new IllegalStateException("dumping the " + on.role() + " schema: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE, "dumping the " + on.role() + " schema failed: "
          + e.stderr() + "; check that the " + on.role() + " user may read every selected table's definition", e);
    }
  }

  private static void settings(Connection c) throws SQLException {
    for (String set : PgChunkChecksums.TEXT_SETTINGS) Sql.exec(c, set);
  }

  private static void rollback(Connection c) {
    try {
      Sql.exec(c, "ROLLBACK");
    } catch (SQLException e) {
      // Closing the connection right after ends the transaction and releases the lock anyway.
    }
  }

}
