package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Validator;
import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares source and target while the application keeps writing, without taking a lock that a
 * writer could wait for. Each round takes a point of comparison at a position of the change stream
 * ({@link PgComparePoint}): both sides' snapshots, and the rows changed between the two. Those rows
 * are left out of the round and compared in the next, at a fresh point, up to {@link #ROUNDS}
 * rounds; rows that change in every round are reported as such, neither passed nor failed
 * ({@link PgTableRounds}). The counting and checksumming runs on several sessions per side that
 * import the round's exported snapshots, both sides at once. Large tables are compared in key
 * ranges ({@link PgKeyRanges}): the work spreads over the sessions and a difference is reported
 * with the ranges it lies in.
 */
final class PgValidator implements Validator {
  private static final Logger log = LoggerFactory.getLogger(PgValidator.class);
  private static final Duration CATCH_UP = Duration.ofSeconds(30);
  /** Longest the target's apply stays stopped in one round (it is usually well under a second). */
  static final Duration MAX_PAUSE = Duration.ofSeconds(10);
  /** Rounds before rows still changing are reported as such. */
  static final int ROUNDS = 5;
  private static final long BETWEEN_ROUNDS_MILLIS = 200;
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
  /** Longest a round waits for the target to come close to the source; nothing is held meanwhile. */
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
    Duration lockTimeout = PgLockBound.of(plan);
    List<TableInfo> tables;
    List<PgInventory.Seq> sequences;
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      // Measuring a table's size takes ACCESS SHARE on it: bounded like every other lock we take.
      tables = s.call("listing tables", c -> PgLockBound.retrying(c, lockTimeout, "listing the selected tables",
          () -> PgInventory.selectedTables(c, plan)));
      sequences = s.call("listing sequences", c -> PgInventory.sequences(c, tables));
    }
    if (tables.isEmpty()) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the plan selects no table on the source; check tables.include and tables.exclude");
    }
    // Unlogged tables write no WAL, so the stream neither carries them nor names their changed
    // rows: they are compared on their own below, and inside the freeze after their last copy.
    List<TableInfo> streamed = tables.stream().filter(t -> !t.unlogged()).toList();
    List<PgTableRounds> rounds = null;
    String comparedAt = null;
    int round = 0;
    while (round < ROUNDS && (rounds == null || rounds.stream().anyMatch(r -> !r.done()))) {
      if (round > 0) Polling.sleep(BETWEEN_ROUNDS_MILLIS);
      round++;
      try (PgComparePoint point = PgComparePoint.take(plan, slot, catchUp, MAX_PAUSE)) {
        if (rounds == null) {
          rounds = layout(point, streamed, lockTimeout);
          comparedAt = point.upTo;
        }
        compare(plan, point, rounds, lockTimeout);
        log.info("validation of {}, round {}: {} transactions after the target's position changed {} rows and {}"
            + " tables as a whole, left out of this round", plan.name(), round, point.changes.transactions(),
            point.changes.keyCount(), point.changes.tables().size());
      }
    }
    List<TableValidation> results = rounds.stream().map(PgTableRounds::result).toList();
    log.info("validation of {}: {} tables compared in {} round(s) on up to {} sessions per side", plan.name(),
        tables.size(), round, sessions(plan));

    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      List<SequenceValue> sequenceValues = new ArrayList<>();
      for (PgInventory.Seq seq : sequences) {
        sequenceValues.add(new SequenceValue(seq.display(),
            s.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq)),
            t.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq))));
      }

      // Whole-database dumps compare everything the tables depend on (types, functions); when the
      // target holds tables outside the migration, only the migrated tables can be compared.
      Set<String> migrated = new TreeSet<>(tables.stream().map(TableInfo::qualifiedName).toList());
      boolean targetHoldsOthers = t.call("listing tables", c -> PgLockBound.retrying(c, lockTimeout,
              "listing tables", () -> PgInventory.allTables(c))).stream()
          .anyMatch(other -> !migrated.contains(other.qualifiedName()));
      // A plan leaving tables out compares what the schema copy took: all but those tables and what reads them.
      List<String> scope = targetHoldsOthers ? PgInventory.tableArgs(tables)
          : s.call("listing what the plan leaves out", c -> PgLockBound.retrying(c, lockTimeout,
              "listing tables", () -> PgDumpScope.args(c, plan)));
      int sourceVersion = s.call("reading the version", PgInventory::serverVersionNum);
      int targetVersion = t.call("reading the version", PgInventory::serverVersionNum);
      int newest = Math.max(sourceVersion, targetVersion);
      boolean acrossMajors = sourceVersion / 10000 != targetVersion / 10000;
      List<String> schemaDifferences = new ArrayList<>(schemaDifferences(tools.forServer(newest), s.endpoint(),
          t.endpoint(), scope, acrossMajors, lockTimeout));
      // Roles, their settings and the database's own settings and grants are not in the dumps.
      schemaDifferences.addAll(s.call("comparing roles", c -> PgRoleCheck.differences(c, t.connection())));
      if (targetHoldsOthers) {
        // Dumps of selected tables leave their schemas out.
        schemaDifferences.addAll(s.call("comparing schemas", c -> PgRoleCheck.schemaAccessDifferences(c,
            t.connection(), PgInventory.schemasOf(tables))));
      }

      PgUnstreamed.Compared unstreamed = PgUnstreamed.compare(s, t, plan, tables);
      List<ObjectCheck> objects = unstreamed.checks();
      // Values move inside the freeze, so before it only a sequence missing on the target differs.
      int mismatches = (int) results.stream().filter(r -> !r.match()).count()
          + (int) objects.stream().filter(o -> !o.match()).count()
          + (int) sequenceValues.stream().filter(v -> v.source() != null && v.target() == null).count()
          + (schemaDifferences.isEmpty() ? 0 : Math.max(1, schemaDifferences.size()));
      List<TableValidation> changing = results.stream().filter(r -> r.changing() != null).toList();
      return new ValidationResult(PgLsn.position(comparedAt), listed(results),
          sequenceValues.stream().limit(ValidationResult.LISTED).toList(),
          schemaDifferences.stream().limit(ValidationResult.LISTED).toList(), mismatches,
          (System.nanoTime() - started) / 1_000_000, results.size(), sequenceValues.size(),
          changing.stream().mapToLong(r -> r.changing().rows()).sum(), changing.size(),
          objects.stream().limit(ValidationResult.LISTED).toList(), unstreamed.work());
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

  /** Sessions per side: the plan's copy parallelism, which is what it allows the servers to take. */
  private static int sessions(MigrationPlan plan) {
    return Math.max(1, plan.copyParallelism() == null ? 1 : plan.copyParallelism());
  }

  private int chunksFor(TableInfo table) {
    return (int) Math.min(MAX_CHUNKS, Math.max(1, (table.bytes() + chunkBytes - 1) / chunkBytes));
  }

  /** How each table is split, hashed and keyed, read at the first round's point and kept for every round. */
  private List<PgTableRounds> layout(PgComparePoint point, List<TableInfo> tables, Duration lockTimeout) {
    PgSession s = point.source();
    PgSession t = point.target();
    s.run("bounding lock waits", c -> PgLockBound.apply(c, lockTimeout));
    List<PgTableRounds> rounds = new ArrayList<>();
    for (TableInfo table : tables) {
      String quoted = PgInventory.quoted(table);
      String doing = "splitting " + table.qualifiedName();
      boolean onTarget = Boolean.TRUE.equals(t.one("looking up " + table.qualifiedName(),
          "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), quoted));
      PgKeyRanges.Split split = !onTarget ? PgKeyRanges.Split.WHOLE
          : s.call(doing, c -> PgLockBound.inTransaction(c, lockTimeout, doing,
              () -> PgKeyRanges.plan(c, t.connection(), table, chunksFor(table))));
      String rowHash = !onTarget ? PgRowHash.TEXT
          : s.call("reading the columns of " + table.qualifiedName(),
              c -> PgRowHash.expression(c, t.connection(), table));
      PgKeyFilter key = s.call("reading the key of " + table.qualifiedName(), c -> PgKeyFilter.of(c, table));
      rounds.add(new PgTableRounds(table, onTarget, split, rowHash, key));
    }
    return rounds;
  }

  /** One piece of a round: which table and range its checksums belong to. */
  private record Slot(PgTableRounds table, int range) {}

  /** Counts and checksums this round's part of every table on both sides, on the point's snapshots. */
  private void compare(MigrationPlan plan, PgComparePoint point, List<PgTableRounds> tables, Duration lockTimeout) {
    List<Slot> slots = new ArrayList<>();
    List<PgChunkChecksums.Piece> sourcePieces = new ArrayList<>();
    List<PgChunkChecksums.Piece> targetPieces = new ArrayList<>();
    for (PgTableRounds table : tables) {
      long weight = table.weight();
      for (PgTableRounds.Query q : table.round(point.changes)) {
        PgChunkChecksums.Piece piece = new PgChunkChecksums.Piece(slots.size(), q.sql(), weight);
        slots.add(new Slot(table, q.range()));
        sourcePieces.add(piece);
        if (table.onTarget) targetPieces.add(piece);
      }
    }
    if (slots.isEmpty()) return;

    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    PgChunkChecksums src = new PgChunkChecksums(point.source().endpoint(), point.sourceSnapshot, sourcePieces,
        slots.size(), failure, lockTimeout);
    PgChunkChecksums tgt = new PgChunkChecksums(point.target().endpoint(), point.targetSnapshot, targetPieces,
        slots.size(), failure, lockTimeout);
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
    for (int id = 0; id < slots.size(); id++) {
      Slot slot = slots.get(id);
      slot.table().add(slot.range(), src.result(id), slot.table().onTarget ? tgt.result(id) : null);
    }
  }

  private List<String> schemaDifferences(PgTools.Installation inst, PgEndpoint source, PgEndpoint target,
      List<String> scope, boolean acrossMajors, Duration lockTimeout) {
    // Owners and privileges included: the application works on the target only if they agree.
    List<String> args = new ArrayList<>(List.of("--schema-only", "--no-publications", "--no-subscriptions",
        "--exclude-schema=" + PgNames.BOOKKEEPING_SCHEMA));
    args.addAll(scope);
    List<String> srcLines = PgTools.schemaLines(dump(inst, source, args, lockTimeout));
    List<String> tgtLines = PgTools.schemaLines(dump(inst, target, args, lockTimeout));
    Set<String> src = new TreeSet<>(acrossMajors ? PgTools.acrossMajors(srcLines) : srcLines);
    Set<String> tgt = new TreeSet<>(acrossMajors ? PgTools.acrossMajors(tgtLines) : tgtLines);
    List<String> differences = new ArrayList<>();
    for (String line : src) if (!tgt.contains(line)) differences.add("missing on target: " + line.strip());
    for (String line : tgt) if (!src.contains(line)) differences.add("only on target: " + line.strip());
    return differences;
  }

  private String dump(PgTools.Installation inst, PgEndpoint on, List<String> args, Duration lockTimeout) {
    try {
      return PgLockBound.pgDump(tools, inst, on, args, lockTimeout);
    } catch (PgTools.ToolFailure e) {
      if (e.connectionProblem()) throw new IllegalStateException("dumping the " + on.role() + " schema: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE, "dumping the " + on.role() + " schema failed: "
          + e.stderr() + "; check that the " + on.role() + " user may read every selected table's definition", e);
    }
  }
}
