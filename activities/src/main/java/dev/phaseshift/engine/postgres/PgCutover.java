package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Cutover;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves writes from the source to the target. The source database is made read-only for new
 * sessions and every existing application session is ended, which stops all writes without a
 * restart; once the target has applied the last change, sequences follow and the subscription
 * stops, and the target is the primary. Rollback is the same move in the other direction, over
 * the reverse stream that keeps the old source current after the switchover.
 */
final class PgCutover implements Cutover {
  private static final Logger log = LoggerFactory.getLogger(PgCutover.class);
  private static final long DRAIN_POLL_MILLIS = 10;
  /** PostgreSQL flushes a backend's table statistics at most about once a second. */
  private static final long STATS_FLUSH_MILLIS = 1_500;
  /** Rows smaller than this are counted exactly after ANALYZE rather than estimated. */
  private static final long EXACT_COUNT_BYTES = 64L * 1024 * 1024;

  private static final String SWITCHOVER_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "switchover");
  private static final String VERIFY_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "verify_write");
  private static final String ROLLBACK_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "rollback");
  private static final DateTimeFormatter DUMP_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  /** Queries in operator messages are cut to this many characters. */
  private static final int QUERY_TEXT_CHARS = 80;

  private record Recorded(SwitchoverResult result, long sourceWrites) {}

  /**
   * A rollback as recorded on the target. It is written once the target is frozen and drained and
   * sequences are back on the source; {@code completed} once the source takes writes again.
   */
  private record RollbackRecord(String finalLsn, int sequencesCopied, long frozenAtEpochMillis,
      Long writePauseMillis) {
    boolean completed() {
      return writePauseMillis != null;
    }

    RollbackResult result() {
      return new RollbackResult(writePauseMillis, PgLsn.position(finalLsn), sequencesCopied);
    }
  }

  private final PgTools tools;

  PgCutover(PgTools tools) {
    this.tools = tools;
  }

  PgCutover() {
    this(PgTools.detect());
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan) {
    return switchover(plan, () -> {});
  }

  @Override
  public SwitchoverResult switchover(MigrationPlan plan, Runnable beforeFreeze) {
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    Duration maxFreeze = DurationText.parse(plan.cutover().maxFreeze());
    String slot = PgNames.slot(plan);
    String subscription = PgNames.subscription(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      Recorded recorded = PgInventory.call(target, "reading the switchover record", () -> recorded(t, plan));
      // Done before: the record and the subscription's stop commit together, so the target is
      // already the primary and freezing the source again would gain nothing.
      if (recorded != null) return recorded.result();

      PgInventory.call(source, "preparing the session", () -> writableSession(s));
      List<TableInfo> tables = PgInventory.call(source, "listing tables", () -> PgInventory.selectedTables(s, plan));
      List<PgInventory.Seq> sequences = PgInventory.call(source, "listing sequences",
          () -> PgInventory.sequences(s, PgInventory.schemasOf(tables)));
      checkLagBeforeFreeze(s, source, plan, slot);

      beforeFreeze.run();
      long frozenAt = System.nanoTime();
      // When each part of the freeze ended, for the log: sessions ended, drained, sequences and
      // statistics read, reverse slot created.
      long[] steps = new long[4];
      freezeWrites(s, source);
      String finalLsn;
      int terminated;
      int copied = 0;
      long sourceWrites;
      // Until the target's transaction below commits, the source is still the primary: any failure
      // up to there releases the freeze, so a failed switchover costs the application nothing.
      try {
        terminated = PgInventory.call(source, "ending application sessions", () -> terminateSessions(s));
        steps[0] = System.nanoTime();
        // The insert position covers every commit record, including asynchronous commits whose WAL
        // is not written yet (pg_current_wal_lsn() would stop short of them).
        finalLsn = PgInventory.call(source, "reading the WAL position",
            () -> Sql.one(s, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1)));
        PgInventory.flushWal(s);
        long deadline = frozenAt + maxFreeze.toNanos();
        if (!PgInventory.call(source, "waiting for the target", () -> drained(s, t, slot, finalLsn, deadline,
            "replication slot " + slot + " disappeared from the source during switchover; writes were released"
                + " on the source, nothing was lost; start the change stream again, then switch over"))) {
          throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
              "replication lag did not reach zero within " + plan.cutover().maxFreeze() + " (slot " + slot
                  + " still behind " + finalLsn + "); writes were released on the source, nothing was lost;"
                  + " check the subscription on the target, or raise cutover.maxFreeze, then switch over again");
        }
        steps[1] = System.nanoTime();
        for (PgInventory.Seq seq : sequences) {
          Object[] value = PgInventory.call(source, "reading " + seq.display(), () -> Sql.one(s,
              "SELECT last_value, is_called FROM " + seq.quoted(), rs -> new Object[] {rs.getLong(1), rs.getBoolean(2)}));
          PgInventory.call(target, "setting " + seq.display(), () -> Sql.one(t, "SELECT setval(?::regclass, ?, ?)",
              rs -> rs.getLong(1), seq.quoted(), value[0], value[1]));
          copied++;
        }
        sourceWrites = PgInventory.call(source, "reading table statistics", () -> sourceWrites(s, tables));
        steps[2] = System.nanoTime();
        if (Boolean.TRUE.equals(plan.reverseReplication())) {
          long remaining = deadline - System.nanoTime();
          PgInventory.call(target, "creating the reverse slot", () -> prepareReverse(t, plan, remaining));
        }
        steps[3] = System.nanoTime();
      } catch (RuntimeException e) {
        release(s, source);
        dropReverseSlotQuietly(t, plan);
        throw e;
      }
      int sequencesCopied = copied;
      long writesAtSwitch = sourceWrites;
      // The record and the subscription's stop commit in one transaction: a retry either finds both
      // (and returns the record) or neither (and freezes and drains again, quickly).
      boolean[] commitSent = {false};
      try {
        return PgInventory.call(target, "handing writes to the target", () -> {
          t.setAutoCommit(false);
          try {
            ensureBookkeeping(t);
            exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
            long freezeMillis = Math.max(1, (System.nanoTime() - frozenAt) / 1_000_000);
            SwitchoverResult r = new SwitchoverResult(freezeMillis, PgLsn.position(finalLsn), sequencesCopied, terminated);
            Sql.one(t, "INSERT INTO " + SWITCHOVER_TABLE + " (migration, write_freeze_millis, final_lsn,"
                    + " sequences_copied, sessions_terminated, source_writes) VALUES (?, ?, ?, ?, ?, ?)"
                    + " RETURNING 1",
                rs -> 1, plan.name(), r.writeFreezeMillis(), finalLsn, r.sequencesCopied(),
                r.sessionsTerminated(), writesAtSwitch);
            commitSent[0] = true;
            t.commit();
            log.info("switched over {}: writes frozen {} ms (ending sessions {} ms, draining {} ms, sequences"
                    + " and statistics {} ms, reverse slot {} ms, hand-over {} ms)", plan.name(), freezeMillis,
                millis(frozenAt, steps[0]), millis(steps[0], steps[1]), millis(steps[1], steps[2]),
                millis(steps[2], steps[3]), millis(steps[3], System.nanoTime()));
            return r;
          } catch (SQLException | RuntimeException e) {
            quietly(t::rollback);
            throw e;
          } finally {
            quietly(() -> t.setAutoCommit(true));
          }
        });
      } catch (RuntimeException e) {
        // Before the commit was sent the target cannot have become the primary, so writes go back
        // to the source. Once it was sent the outcome is unknown: the source stays frozen, and a
        // retry either finds the record or repeats the step; both are safe, writing to both is not.
        if (!commitSent[0]) {
          release(s, source);
          dropReverseSlotQuietly(t, plan);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  private static void checkLagBeforeFreeze(Connection s, PgEndpoint source, MigrationPlan plan, String slot) {
    Lag lag;
    try {
      lag = PgReplication.lag(s, slot);
    } catch (SQLException e) {
      if (e.getSQLState() == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE, e.getMessage()
            + "; the target is not receiving changes, so switching over would lose writes; start the change"
            + " stream again first", e);
      }
      throw PgInventory.failure("measuring lag", source, e);
    }
    Long max = plan.cutover().maxLagBytes();
    if (max != null && lag.bytes() > max) {
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          "replication lag is " + lag.bytes() + " bytes, above cutover.maxLagBytes " + max + "; writes were not"
              + " frozen; wait for the target to catch up (or raise the limit) and switch over again");
    }
  }

  /**
   * Creates the reverse publication and slot on the target, inside the freeze: the forward stream
   * has drained, so every row the target holds is on the source too, and the target has not
   * taken an application write yet. The slot's stream therefore starts exactly where the source's
   * copy ends.
   *
   * <p>A slot left by an earlier attempt is dropped and made again rather than reused: that attempt
   * did not commit the switchover, so the source took writes again and the forward stream applied
   * them on the target after that slot's start; streaming them back would apply them twice.
   */
  private static Void prepareReverse(Connection t, MigrationPlan plan, long remainingNanos) throws SQLException {
    String slot = PgNames.reverseSlot(plan);
    // pgoutput looks the publication up as of each change it decodes, so it must exist before
    // the slot's first change or decoding fails with "publication does not exist".
    PgChangeStream.ensurePublication(t, plan, PgNames.reversePublication(plan));
    PgReplication.dropSlot(t, slot);
    // Creating a logical slot waits for transactions running on the target to end; a forgotten
    // one must not hold the source's freeze beyond maxFreeze.
    long millis = Math.max(1, remainingNanos / 1_000_000);
    t.setAutoCommit(false);
    try {
      exec(t, "SET LOCAL statement_timeout = " + millis);
      Sql.one(t, "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')",
          rs -> rs.getString(1), slot);
      t.commit();
    } catch (SQLException e) {
      quietly(t::rollback);
      if ("57014".equals(e.getSQLState())) {
        throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
            "creating the reverse replication slot " + slot + " on the target did not finish within "
                + plan.cutover().maxFreeze() + " (a transaction open on the target holds it back); writes were"
                + " released on the source, nothing was lost; end long transactions on the target and switch"
                + " over again", e);
      }
      throw e;
    } finally {
      quietly(() -> t.setAutoCommit(true));
    }
    return null;
  }

  /**
   * After a failed switchover the reverse slot would only hold WAL on the target until the next
   * attempt replaces it; a failure here leaves that to the retry (or to undo).
   */
  private static void dropReverseSlotQuietly(Connection t, MigrationPlan plan) {
    quietly(() -> PgReplication.dropSlot(t, PgNames.reverseSlot(plan)));
  }

  /** Our own session writes to the catalog (ALTER DATABASE), even on a retry after the freeze began. */
  private static Void writableSession(Connection c) throws SQLException {
    exec(c, "SET default_transaction_read_only = off");
    return null;
  }

  /**
   * Makes the side's database read-only for every session started from now on. Our own session
   * set default_transaction_read_only = off for itself first, so it can still write bookkeeping
   * and undo this.
   */
  private static void freezeWrites(Connection c, PgEndpoint on) {
    PgInventory.call(on, "freezing writes", () -> exec(c,
        "ALTER DATABASE " + Sql.ident(on.database()) + " SET default_transaction_read_only = on"));
  }

  /**
   * Ends every other client session on the database; their open transactions roll back, and new
   * sessions start read-only. Replication connections (walsenders) are left alone. Waits until
   * the sessions are gone, so no write of theirs can commit after the WAL position is read.
   */
  private static int terminateSessions(Connection s) throws SQLException {
    List<Integer> pids = Sql.query(s,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        rs -> rs.getInt(1));
    int terminated = 0;
    for (int pid : pids) {
      Boolean ok = Sql.one(s, "SELECT pg_terminate_backend(?)", rs -> rs.getBoolean(1), pid);
      if (Boolean.TRUE.equals(ok)) terminated++;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!pids.isEmpty() && System.nanoTime() < deadline) {
      Integer alive = Sql.one(s, "SELECT count(*)::int FROM pg_stat_activity WHERE pid = ANY (?)",
          rs -> rs.getInt(1), s.createArrayOf("int4", pids.toArray()));
      if (alive == null || alive == 0) break;
      Polling.sleep(DRAIN_POLL_MILLIS);
    }
    return terminated;
  }

  /**
   * Waits until the subscriber has confirmed the publisher's slot up to {@code lsn}. The subscriber
   * applies with asynchronous commit and confirms only what it flushed, so its WAL is flushed on
   * every round.
   */
  private static boolean drained(Connection publisher, Connection subscriber, String slot, String lsn,
      long deadline, String slotGone) throws SQLException {
    while (true) {
      PgInventory.flushWal(subscriber);
      Boolean done = Sql.one(publisher,
          "SELECT confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= ?::pg_lsn"
              + " FROM pg_replication_slots WHERE slot_name = ?",
          rs -> rs.getBoolean(1), lsn, slot);
      if (done == null) throw new MigrationException(FailureTypes.LAG_NOT_DRAINED, slotGone);
      if (done) return true;
      if (System.nanoTime() > deadline) return false;
      Polling.sleep(DRAIN_POLL_MILLIS);
    }
  }

  /** Lifts a write freeze after a failed switch; the failure being handled is what gets reported. */
  private static void release(Connection c, PgEndpoint on) {
    String database = Sql.ident(on.database());
    try {
      Sql.exec(c, "ALTER DATABASE " + database + " RESET default_transaction_read_only");
    } catch (SQLException e) {
      throw new IllegalStateException("moving writes failed and releasing the write freeze on the " + on.role()
          + " failed too (" + e.getMessage() + "); run ALTER DATABASE " + database
          + " RESET default_transaction_read_only on the " + on.role(), e);
    }
  }

  /** Rows inserted, updated and deleted in the selected tables since statistics were last reset. */
  private static long sourceWrites(Connection s, List<TableInfo> tables) throws SQLException {
    // Statistics read in a transaction are cached; start from a fresh view.
    exec(s, "SELECT pg_stat_clear_snapshot()");
    long total = 0;
    for (TableInfo t : tables) {
      Long n = Sql.one(s, "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relid = ?::regclass",
          rs -> rs.getLong(1), PgInventory.quoted(t));
      if (n != null) total += n;
    }
    return total;
  }

  private static void ensureBookkeeping(Connection t) throws SQLException {
    exec(t, "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA));
    exec(t, "CREATE TABLE IF NOT EXISTS " + SWITCHOVER_TABLE + " (migration text PRIMARY KEY,"
        + " write_freeze_millis bigint NOT NULL, final_lsn text NOT NULL, sequences_copied int NOT NULL,"
        + " sessions_terminated int NOT NULL, source_writes bigint NOT NULL,"
        + " switched_at timestamptz NOT NULL DEFAULT now())");
    exec(t, "CREATE TABLE IF NOT EXISTS " + ROLLBACK_TABLE + " (migration text PRIMARY KEY,"
        + " final_lsn text NOT NULL, sequences_copied int NOT NULL, frozen_at_millis bigint NOT NULL,"
        + " write_pause_millis bigint, completed_at timestamptz)");
  }

  private static Recorded recorded(Connection t, MigrationPlan plan) throws SQLException {
    Boolean exists = Sql.one(t, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), SWITCHOVER_TABLE);
    if (exists == null || !exists) return null;
    return Sql.one(t, "SELECT write_freeze_millis, final_lsn, sequences_copied, sessions_terminated, source_writes"
            + " FROM " + SWITCHOVER_TABLE + " WHERE migration = ?",
        rs -> new Recorded(new SwitchoverResult(rs.getLong(1), PgLsn.position(rs.getString(2)), rs.getInt(3), rs.getInt(4)),
            rs.getLong(5)),
        plan.name());
  }

  @Override
  public VerifyResult verify(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      Recorded recorded = PgInventory.call(target, "reading the switchover record", () -> recorded(t, plan));
      if (recorded == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; run the switchover first");
      }
      boolean targetWritable = targetTakesWrites(t, target);
      List<TableInfo> tables = PgInventory.call(source, "listing tables", () -> PgInventory.selectedTables(s, plan));
      Polling.sleep(STATS_FLUSH_MILLIS);
      long now = PgInventory.call(source, "reading table statistics", () -> sourceWrites(s, tables));
      // A statistics reset on the source makes the counters smaller; that is not a write.
      long writesAfter = Math.max(0, now - recorded.sourceWrites());

      List<SequenceValue> sequences = new ArrayList<>();
      boolean sequencesAhead = true;
      for (PgInventory.Seq seq : PgInventory.call(source, "listing sequences",
          () -> PgInventory.sequences(s, PgInventory.schemasOf(tables)))) {
        Long src = PgInventory.call(source, "reading " + seq.display(), () -> PgInventory.lastValue(s, seq));
        Long tgt = PgInventory.call(target, "reading " + seq.display(), () -> PgInventory.lastValue(t, seq));
        sequences.add(new SequenceValue(seq.display(), src, tgt));
        if (src != null && (tgt == null || tgt < src)) sequencesAhead = false;
      }
      return new VerifyResult(targetWritable, writesAfter, sequences,
          targetWritable && writesAfter == 0 && sequencesAhead);
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  private static boolean targetTakesWrites(Connection t, PgEndpoint target) {
    try {
      exec(t, "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA));
      exec(t, "CREATE TABLE IF NOT EXISTS " + VERIFY_TABLE + " (at timestamptz NOT NULL DEFAULT now())");
      exec(t, "INSERT INTO " + VERIFY_TABLE + " DEFAULT VALUES");
      return true;
    } catch (SQLException e) {
      // 25006: read-only transaction; the target refuses writes, which is what verify reports.
      if ("25006".equals(e.getSQLState())) return false;
      throw PgInventory.failure("writing a test row", target, e);
    }
  }

  @Override
  public void decommission(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      // The old source stays read-only for new sessions, and after a rollback the target does;
      // this session needs to drop objects on both.
      PgInventory.call(source, "preparing the session", () -> writableSession(s));
      PgInventory.call(target, "preparing the session", () -> writableSession(t));
      if (plan.finalDumpDirectory() != null && !plan.finalDumpDirectory().isBlank()) {
        finalDump(plan, s, source);
      }
      PgInventory.call(source, "dropping the reverse subscription",
          () -> { PgReplication.dropSubscription(s, PgNames.reverseSubscription(plan)); return null; });
      PgInventory.call(target, "dropping the reverse replication slot",
          () -> { PgReplication.dropSlot(t, PgNames.reverseSlot(plan)); return null; });
      PgInventory.call(target, "dropping the reverse publication",
          () -> { PgReplication.dropPublication(t, PgNames.reversePublication(plan)); return null; });
      PgInventory.call(target, "dropping the subscription",
          () -> { PgReplication.dropSubscription(t, PgNames.subscription(plan)); return null; });
      PgInventory.call(source, "dropping the replication slot",
          () -> { PgReplication.dropSlot(s, PgNames.slot(plan)); return null; });
      PgInventory.call(source, "dropping the publication",
          () -> { PgReplication.dropPublication(s, PgNames.publication(plan)); return null; });
      PgInventory.call(target, "dropping the bookkeeping schema",
          () -> exec(t, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE"));
      log.info("decommissioned migration {}: replication objects and bookkeeping dropped on both sides",
          plan.name());
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  /**
   * Writes {@code <dir>/<name>-<UTC time>.dump} (pg_dump custom format) of the old database, once:
   * a finished dump of this migration already in the directory counts. pg_dump writes to a
   * temporary name that is renamed when complete, so a dump cut short by a crash never counts.
   */
  private void finalDump(MigrationPlan plan, Connection s, PgEndpoint source) {
    Path dir = Path.of(plan.finalDumpDirectory());
    Pattern finished = Pattern.compile(Pattern.quote(plan.name()) + "-\\d{8}T\\d{6}Z\\.dump");
    if (!Files.isDirectory(dir)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "finalDumpDirectory " + dir + " does not exist on the worker or is not a directory; create it (writable by the worker) or"
              + " correct the plan, then decommission again; nothing was dropped");
    }
    try (Stream<Path> files = Files.list(dir)) {
      Path existing = files.filter(f -> finished.matcher(f.getFileName().toString()).matches())
          .findFirst().orElse(null);
      if (existing != null) {
        log.info("final dump of {} already written to {}; not dumping again", plan.name(), existing);
        return;
      }
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot list finalDumpDirectory " + dir + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); give the worker read and write access to it; nothing was dropped", e);
    }
    String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DUMP_STAMP);
    Path file = dir.resolve(plan.name() + "-" + stamp + ".dump");
    Path partial = dir.resolve(plan.name() + "-" + stamp + ".dump.partial");
    try {
      Files.deleteIfExists(partial);
      Files.createFile(partial);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "finalDumpDirectory " + dir + " is not writable by the worker (" + e.getClass().getSimpleName()
              + "); grant write access or choose another directory, then decommission again; nothing was dropped",
          e);
    }
    PgTools.Installation inst = tools.forServer(PgInventory.call(source, "reading the version",
        () -> PgInventory.serverVersionNum(s)));
    try {
      // Subscriptions stay out: the reverse one's connection string holds the target's password.
      tools.pgDump(inst, source, List.of("--format=custom", "--no-subscriptions", "--file=" + partial));
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (PgTools.ToolFailure e) {
      quietlyDelete(partial);
      if (e.connectionProblem()) throw new IllegalStateException("dumping the old source: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the final dump of the old source failed: " + e.stderr() + "; check that the source user may read"
              + " every object, then decommission again; nothing was dropped", e);
    } catch (IOException e) {
      quietlyDelete(partial);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot finish the final dump in " + dir + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); check space and permissions there; nothing was dropped", e);
    } catch (RuntimeException e) {
      quietlyDelete(partial);
      throw e;
    }
    log.info("final dump of {} written to {}", source, file);
  }

  private static void quietlyDelete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover .partial file never counts as a finished dump; the next attempt replaces it.
    }
  }

  /** Tables optimize reports, the largest first; every selected table is analyzed. */
  static final int OPTIMIZE_LISTED = 100;

  @Override
  public List<TableStats> optimize(MigrationPlan plan) {
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      List<TableInfo> tables = PgInventory.call(target, "listing tables", () -> PgInventory.selectedTables(t, plan));
      List<TableStats> stats = new ArrayList<>();
      for (TableInfo table : tables) {
        String name = PgInventory.quoted(table);
        stats.add(PgInventory.call(target, "analyzing " + table.qualifiedName(), () -> {
          exec(t, "ANALYZE " + name);
          long[] sizeAndEstimate = Sql.one(t,
              "SELECT pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint FROM pg_class c"
                  + " WHERE c.oid = ?::regclass",
              rs -> new long[] {rs.getLong(1), rs.getLong(2)}, name);
          long rows = sizeAndEstimate[0] < EXACT_COUNT_BYTES
              ? Sql.one(t, "SELECT count(*) FROM " + name, rs -> rs.getLong(1))
              : sizeAndEstimate[1];
          return new TableStats(table.qualifiedName(), rows, sizeAndEstimate[0]);
        }));
      }
      // Beyond the bound the largest tables only: the list goes into the workflow history and the report.
      if (stats.size() <= OPTIMIZE_LISTED) return stats;
      return stats.stream().sorted(java.util.Comparator.comparingLong(TableStats::bytes).reversed()
          .thenComparing(TableStats::table)).limit(OPTIMIZE_LISTED).toList();
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", target, e);
    }
  }

  @FunctionalInterface
  private interface SqlAction {
    void run() throws SQLException;
  }

  /** For clean-up after a failure: the original failure says more than a second one would. */
  private static void quietly(SqlAction action) {
    try {
      action.run();
    } catch (SQLException e) {
      // Reported through the failure being handled.
    }
  }

  private static Void exec(Connection c, String sql) throws SQLException {
    Sql.exec(c, sql);
    return null;
  }


  @Override
  public void startReverseReplication(MigrationPlan plan) {
    if (!Boolean.TRUE.equals(plan.reverseReplication())) {
      log.info("plan {} keeps no reverse replication; the old source is not kept current", plan.name());
      return;
    }
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    String subscription = PgNames.reverseSubscription(plan);
    String slot = PgNames.reverseSlot(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      if (PgInventory.call(target, "reading the switchover record", () -> recorded(t, plan)) == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; reverse replication"
                + " starts after the switchover");
      }
      if (PgInventory.call(target, "reading the rollback record", () -> rollbackRecord(t, plan)) != null) {
        // Writes went back to the source; streaming the frozen target into it would have nothing
        // to carry, and the subscription was stopped on purpose.
        log.info("migration {} was rolled back; reverse replication stays stopped", plan.name());
        return;
      }
      if (!PgInventory.call(target, "looking for the reverse slot", () -> PgChangeStream.slotExists(t, slot))) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the reverse replication slot " + slot + " does not exist on the target: the switchover ran without"
                + " reverse replication (or the slot was dropped), so the source cannot be brought up to date"
                + " without a gap; a rollback would lose the target's writes");
      }
      PgInventory.call(source, "preparing the session", () -> writableSession(s));
      if (PgInventory.call(source, "looking for the reverse subscription",
          () -> PgReplication.subscriptionExists(s, subscription))) {
        PgInventory.call(source, "enabling the reverse subscription",
            () -> exec(s, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE"));
        return;
      }
      // The apply worker inherits the database's default_transaction_read_only = on (its
      // transactions report transaction_read_only = on), yet it applies rows: it writes through
      // the executor's low-level routines, which do not check for read-only transactions; only the
      // statement paths do. So the freeze keeps stopping application sessions while the stream
      // applies, and no override is needed. An override (ALTER ROLE <owner> IN DATABASE <db> SET
      // default_transaction_read_only = off) would be worse: when the application connects as the
      // same role, it would lift the source's freeze for it too and let it write on both sides.
      // What the read-only transaction does stop is SQL run by triggers that fire on replicated
      // rows (ENABLE ALWAYS / ENABLE REPLICA); if such a trigger writes, the stream stalls, and a
      // rollback then stops at maxFreeze with the target's writes released. Hence the warning.
      warnAboutReplicaTriggers(s, plan, source);
      String sql = "CREATE SUBSCRIPTION " + Sql.ident(subscription)
          + " CONNECTION " + Sql.literal(target.libpqConninfo())
          + " PUBLICATION " + Sql.ident(PgNames.reversePublication(plan))
          + " WITH (create_slot = false, slot_name = " + Sql.literal(slot)
          + ", copy_data = false, enabled = true)";
      try {
        Sql.exec(s, sql);
      } catch (SQLException e) {
        // The statement carries the target's password; report only the server's redacted words.
        throw new IllegalStateException("cannot create the reverse subscription " + subscription + " on "
            + source + ": " + PgChangeStream.redact(e.getMessage()) + " (SQLSTATE " + e.getSQLState() + ")");
      }
      log.info("reverse subscription {} on {} streams slot {} from {}", subscription, source, slot, target);
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  private static void warnAboutReplicaTriggers(Connection s, MigrationPlan plan, PgEndpoint source) {
    List<TableInfo> tables = PgInventory.call(source, "listing tables", () -> PgInventory.selectedTables(s, plan));
    List<String> triggers = new ArrayList<>();
    for (TableInfo table : tables) {
      triggers.addAll(PgInventory.call(source, "listing triggers of " + table.qualifiedName(), () -> Sql.query(s,
          "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal AND tgenabled IN ('A', 'R')",
          rs -> table.qualifiedName() + "." + rs.getString(1), PgInventory.quoted(table))));
    }
    if (!triggers.isEmpty()) {
      log.warn("triggers {} on {} fire for replicated rows; they run in read-only transactions there while the"
          + " source is frozen, so one that writes stops reverse replication (and with it a rollback)",
          triggers, source);
    }
  }

  @Override
  public RollbackResult rollback(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    Duration maxFreeze = DurationText.parse(plan.cutover().maxFreeze());
    String slot = PgNames.reverseSlot(plan);
    String subscription = PgNames.reverseSubscription(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      PgInventory.call(target, "preparing the session", () -> writableSession(t));
      PgInventory.call(source, "preparing the session", () -> writableSession(s));
      RollbackRecord record = PgInventory.call(target, "reading the rollback record", () -> rollbackRecord(t, plan));
      if (record != null && record.completed()) return record.result();
      if (record != null) {
        // An earlier attempt froze and drained the target and recorded it, but did not finish
        // handing writes to the source; the remaining steps are idempotent.
        // The pause is measured across workers here, so by the wall clock.
        return finishRollback(s, t, plan, source, target, record,
            () -> Math.max(1, System.currentTimeMillis() - record.frozenAtEpochMillis()));
      }
      if (PgInventory.call(target, "reading the switchover record", () -> recorded(t, plan)) == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; writes are still on the"
                + " source, there is nothing to roll back");
      }
      requireReverseStream(s, t, plan, source, target);
      checkReverseLagBeforeFreeze(t, target, plan, slot);
      List<TableInfo> tables = PgInventory.call(target, "listing tables", () -> PgInventory.selectedTables(t, plan));
      List<PgInventory.Seq> sequences = PgInventory.call(target, "listing sequences",
          () -> PgInventory.sequences(t, PgInventory.schemasOf(tables)));

      long frozenAt = System.nanoTime();
      long frozenAtEpochMillis = System.currentTimeMillis();
      freezeWrites(t, target);
      String finalLsn;
      int copied = 0;
      // Until the record below commits, the target is still the primary: any failure up to there
      // releases its freeze, so a failed rollback costs the application nothing.
      try {
        PgInventory.call(target, "ending application sessions", () -> terminateSessions(t));
        finalLsn = PgInventory.call(target, "reading the WAL position",
            () -> Sql.one(t, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1)));
        PgInventory.flushWal(t);
        long deadline = frozenAt + maxFreeze.toNanos();
        if (!PgInventory.call(target, "waiting for the source", () -> drained(t, s, slot, finalLsn, deadline,
            "the reverse replication slot " + slot + " disappeared from the target during rollback; writes were"
                + " released on the target, nothing was lost; the source cannot be brought up to date without"
                + " that slot"))) {
          throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
              "reverse replication lag did not reach zero within " + plan.cutover().maxFreeze() + " (slot " + slot
                  + " still behind " + finalLsn + "); writes were released on the target, nothing was lost;"
                  + " check the subscription " + subscription + " on the source, or raise cutover.maxFreeze,"
                  + " then roll back again");
        }
        for (PgInventory.Seq seq : sequences) {
          if (!PgInventory.call(source, "looking for " + seq.display(), () -> PgInventory.exists(s, seq))) continue;
          Object[] value = PgInventory.call(target, "reading " + seq.display(), () -> Sql.one(t,
              "SELECT last_value, is_called FROM " + seq.quoted(), rs -> new Object[] {rs.getLong(1), rs.getBoolean(2)}));
          PgInventory.call(source, "setting " + seq.display(), () -> Sql.one(s, "SELECT setval(?::regclass, ?, ?)",
              rs -> rs.getLong(1), seq.quoted(), value[0], value[1]));
          copied++;
        }
      } catch (RuntimeException e) {
        release(t, target);
        throw e;
      }
      RollbackRecord drainedRecord = new RollbackRecord(finalLsn, copied, frozenAtEpochMillis, null);
      boolean[] commitSent = {false};
      try {
        PgInventory.call(target, "recording the rollback", () -> {
          ensureBookkeeping(t);
          commitSent[0] = true;
          Sql.one(t, "INSERT INTO " + ROLLBACK_TABLE + " (migration, final_lsn, sequences_copied, frozen_at_millis)"
                  + " VALUES (?, ?, ?, ?) RETURNING 1",
              rs -> 1, plan.name(), drainedRecord.finalLsn(), drainedRecord.sequencesCopied(),
              drainedRecord.frozenAtEpochMillis());
          return null;
        });
      } catch (RuntimeException e) {
        // In autocommit the insert is its own commit: if it was sent, the outcome is unknown and
        // the target stays frozen; a retry either finds the record and finishes, or starts over.
        if (!commitSent[0]) release(t, target);
        throw e;
      }
      return finishRollback(s, t, plan, source, target, drainedRecord,
          () -> Math.max(1, (System.nanoTime() - frozenAt) / 1_000_000));
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", target, e);
    }
  }

  /**
   * The target is frozen and the source has every change: stops the reverse stream and lets the
   * source take writes. Stopping the stream and lifting the freeze commit together on the source.
   */
  private static RollbackResult finishRollback(Connection s, Connection t, MigrationPlan plan, PgEndpoint source,
      PgEndpoint target, RollbackRecord record, java.util.function.LongSupplier pauseMillis) {
    String subscription = PgNames.reverseSubscription(plan);
    String releasedAt = PgInventory.call(source, "handing writes back to the source", () -> {
      s.setAutoCommit(false);
      try {
        if (PgReplication.subscriptionExists(s, subscription)) {
          exec(s, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
        }
        exec(s, "ALTER DATABASE " + Sql.ident(source.database()) + " RESET default_transaction_read_only");
        String at = Sql.one(s, "SELECT clock_timestamp()::text", rs -> rs.getString(1));
        s.commit();
        return at;
      } catch (SQLException | RuntimeException e) {
        quietly(s::rollback);
        throw e;
      } finally {
        quietly(() -> s.setAutoCommit(true));
      }
    });
    long pause = pauseMillis.getAsLong();
    // Sessions opened on the source while it was read-only keep that default for their lifetime
    // (a pooler's server connections, an application's pool); ended, they reconnect writable.
    // They could not write, so ending them loses nothing but the reads in flight. Sessions opened
    // after the release are writable already and are left alone.
    int ended = PgInventory.call(source, "ending read-only sessions", () -> Sql.query(s,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            + " AND backend_start < ?::timestamptz", rs -> rs.getBoolean(1), releasedAt)
        .stream().filter(Boolean::booleanValue).toList().size());
    PgInventory.call(target, "completing the rollback record", () -> Sql.one(t,
        "UPDATE " + ROLLBACK_TABLE + " SET write_pause_millis = ?, completed_at = now() WHERE migration = ?"
            + " RETURNING 1", rs -> 1, pause, plan.name()));
    RollbackResult result = new RollbackResult(pause, PgLsn.position(record.finalLsn()), record.sequencesCopied());
    log.info("rolled back {}: writes are on {} again after {} ms ({} read-only sessions ended there);"
        + " {} stays read-only", plan.name(), source, pause, ended, target);
    return result;
  }

  private static void requireReverseStream(Connection s, Connection t, MigrationPlan plan, PgEndpoint source,
      PgEndpoint target) {
    String slot = PgNames.reverseSlot(plan);
    String subscription = PgNames.reverseSubscription(plan);
    if (!PgInventory.call(target, "looking for the reverse slot", () -> PgChangeStream.slotExists(t, slot))) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the reverse replication slot " + slot + " does not exist on the target, so the source does not have"
              + " the target's writes; rolling back now would lose them; nothing was frozen");
    }
    Boolean enabled = PgInventory.call(source, "reading the reverse subscription", () -> Sql.one(s,
        "SELECT subenabled FROM pg_subscription WHERE subname = ?", rs -> rs.getBoolean(1), subscription));
    if (!Boolean.TRUE.equals(enabled)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the reverse subscription " + subscription + " on the " + source + (enabled == null ? " does not exist"
              : " is disabled") + ", so the source is not receiving the target's writes; start reverse"
              + " replication first; nothing was frozen");
    }
  }

  private static void checkReverseLagBeforeFreeze(Connection t, PgEndpoint target, MigrationPlan plan, String slot) {
    Lag lag = PgInventory.call(target, "measuring reverse lag", () -> PgReplication.lag(t, slot));
    Long max = plan.cutover().maxLagBytes();
    if (max != null && lag.bytes() > max) {
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          "reverse replication lag is " + lag.bytes() + " bytes, above cutover.maxLagBytes " + max + "; writes"
              + " were not frozen; wait for the source to catch up (or raise the limit) and roll back again");
    }
  }

  private static RollbackRecord rollbackRecord(Connection t, MigrationPlan plan) throws SQLException {
    Boolean exists = Sql.one(t, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), ROLLBACK_TABLE);
    if (exists == null || !exists) return null;
    return Sql.one(t, "SELECT final_lsn, sequences_copied, frozen_at_millis, write_pause_millis FROM "
            + ROLLBACK_TABLE + " WHERE migration = ?",
        rs -> new RollbackRecord(rs.getString(1), rs.getInt(2), rs.getLong(3),
            rs.getObject(4) == null ? null : rs.getLong(4)),
        plan.name());
  }

  @Override
  public void dropTargetObjects(MigrationPlan plan) {
    if (!Boolean.TRUE.equals(plan.targetDisposable())) {
      log.info("target of {} is not disposable (targetDisposable is not set); nothing dropped there", plan.name());
      return;
    }
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection s = source.connect(); Connection t = target.connect()) {
      boolean switched = PgInventory.call(target, "reading the switchover record", () -> recorded(t, plan)) != null;
      boolean rolledBack = PgInventory.call(target, "reading the rollback record", () -> rollbackRecord(t, plan)) != null;
      if (switched && !rolledBack) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the target of " + plan.name() + " is the primary since the switchover; its tables hold the"
                + " application's writes, so they are not dropped; roll back first");
      }
      // The source says what the schema copy took; a target table of the same selection that the
      // source does not have was there before the migration and stays.
      List<TableInfo> copied = PgInventory.call(source, "listing tables", () -> PgInventory.selectedTables(s, plan));
      Set<String> schemas = PgInventory.schemasOf(copied);
      List<PgInventory.Seq> sequences = PgInventory.call(source, "listing sequences",
          () -> PgInventory.sequences(s, schemas));
      List<String[]> types = PgInventory.call(source, "listing types", () -> userTypes(s, schemas));
      PgInventory.call(target, "preparing the session", () -> writableSession(t));
      List<String> tables = new ArrayList<>();
      for (TableInfo table : copied) {
        String name = PgInventory.quoted(table);
        if (PgInventory.call(target, "looking for " + table.qualifiedName(), () -> Boolean.TRUE.equals(Sql.one(t,
            "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), name)))) {
          tables.add(name);
        }
      }
      int droppedTables = tables.size();
      if (!tables.isEmpty()) {
        // One statement, so foreign keys between the tables do not get in the way.
        PgInventory.call(target, "dropping tables", () -> exec(t, "DROP TABLE IF EXISTS "
            + String.join(", ", tables) + " CASCADE"));
      }
      int droppedSequences = 0;
      for (PgInventory.Seq seq : sequences) {
        // Sequences owned by the tables went with them; what is left are free-standing ones.
        if (PgInventory.call(target, "dropping " + seq.display(), () -> PgInventory.exists(t, seq)
            && dropIfUnused(t, "DROP SEQUENCE IF EXISTS " + seq.quoted()))) {
          droppedSequences++;
        }
      }
      // Types may be built on each other (a domain over an enum): drop in rounds until no more go.
      Set<String[]> remaining = new LinkedHashSet<>(types);
      int droppedTypes = 0;
      boolean progress = true;
      while (progress && !remaining.isEmpty()) {
        progress = false;
        for (var it = remaining.iterator(); it.hasNext(); ) {
          String[] type = it.next();
          String name = Sql.qualified(type[0], type[1]);
          String kind = "d".equals(type[2]) ? "DOMAIN" : "TYPE";
          boolean exists = PgInventory.call(target, "looking for type " + name, () -> Boolean.TRUE.equals(Sql.one(t,
              "SELECT to_regtype(?) IS NOT NULL", rs -> rs.getBoolean(1), name)));
          if (!exists) {
            it.remove();
            continue;
          }
          if (PgInventory.call(target, "dropping type " + name,
              () -> dropIfUnused(t, "DROP " + kind + " IF EXISTS " + name))) {
            it.remove();
            droppedTypes++;
            progress = true;
          }
        }
      }
      PgInventory.call(target, "dropping the bookkeeping schema",
          () -> exec(t, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE"));
      log.info("dropped what {} created on {}: {} tables, {} sequences, {} types and the bookkeeping schema;"
          + " {} types still in use by other objects were kept", plan.name(), target, droppedTables,
          droppedSequences, droppedTypes, remaining.size());
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", target, e);
    }
  }

  /**
   * Enums, domains, ranges and free-standing composite types in these schemas, as {schema, name,
   * typtype}: what pg_dump's pre-data section creates besides tables. Row types of tables, array
   * types and extension members come and go with their owners.
   */
  private static List<String[]> userTypes(Connection s, Set<String> schemas) throws SQLException {
    if (schemas.isEmpty()) return List.of();
    return Sql.query(s, "SELECT n.nspname, t.typname, t.typtype::text FROM pg_type t"
            + " JOIN pg_namespace n ON n.oid = t.typnamespace"
            + " WHERE n.nspname = ANY (?) AND t.typtype IN ('e', 'd', 'r', 'c')"
            + " AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass"
            + "   AND d.objid = t.oid AND d.deptype = 'e')"
            + " ORDER BY 1, 2",
        rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)},
        s.createArrayOf("text", schemas.toArray()));
  }

  /** Drops with RESTRICT; an object something else still uses (2BP01) stays, and false says so. */
  private static boolean dropIfUnused(Connection c, String dropStatement) throws SQLException {
    c.setAutoCommit(false);
    Savepoint sp = c.setSavepoint();
    try {
      exec(c, dropStatement + " RESTRICT");
      c.commit();
      return true;
    } catch (SQLException e) {
      c.rollback(sp);
      c.commit();
      if ("2BP01".equals(e.getSQLState())) return false;
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Override
  public List<String> longWriteTransactions(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    Duration maxAge = DurationText.parse(plan.cutover().maxTransactionAge());
    try (Connection s = source.connect()) {
      // An assigned xid means the transaction has written; read-only ones never get one. Our own
      // sessions all connect with application_name 'phaseshift'.
      return PgInventory.call(source, "listing long write transactions", () -> Sql.query(s,
          "SELECT pid, coalesce(application_name, ''), coalesce(usename::text, '?'),"
              + " coalesce(host(client_addr), 'local socket'),"
              + " floor(extract(epoch FROM clock_timestamp() - xact_start))::bigint, coalesce(query, '')"
              + " FROM pg_stat_activity"
              + " WHERE datname = current_database() AND backend_type = 'client backend'"
              + " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
              + " AND coalesce(application_name, '') <> 'phaseshift'"
              + " AND xact_start < clock_timestamp() - make_interval(secs => ?)"
              + " ORDER BY xact_start",
          rs -> "pid " + rs.getInt(1) + " (application '" + rs.getString(2) + "', user " + rs.getString(3) + ", "
              + rs.getString(4) + ") writing for " + age(rs.getLong(5)) + ": " + shortQuery(rs.getString(6)),
          maxAge.toMillis() / 1000.0));
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  /** 45s, 7m12s, 2h03m07s. */
  static String age(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long sec = seconds % 60;
    if (h > 0) return String.format("%dh%02dm%02ds", h, m, sec);
    if (m > 0) return String.format("%dm%02ds", m, sec);
    return sec + "s";
  }

  static String shortQuery(String query) {
    String oneLine = query.strip().replaceAll("\\s+", " ");
    if (oneLine.length() <= QUERY_TEXT_CHARS) return oneLine;
    return oneLine.substring(0, QUERY_TEXT_CHARS) + " ...";
  }
}
