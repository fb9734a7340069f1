package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.Cutover;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves writes from the source to the target. The source database is made read-only for new
 * sessions and every existing application session is ended, which stops all writes without a
 * restart; once the target has applied the last change, sequences follow and the subscription
 * stops, and the target is the primary.
 */
final class PgCutover implements Cutover {
  private static final long DRAIN_POLL_MILLIS = 10;
  /** PostgreSQL flushes a backend's table statistics at most about once a second. */
  private static final long STATS_FLUSH_MILLIS = 1_500;
  /** Rows smaller than this are counted exactly after ANALYZE rather than estimated. */
  private static final long EXACT_COUNT_BYTES = 64L * 1024 * 1024;

  private static final String SWITCHOVER_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "switchover");
  private static final String VERIFY_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "verify_write");

  private record Recorded(SwitchoverResult result, long sourceWrites) {}

  @Override
  public SwitchoverResult switchover(MigrationPlan plan) {
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

      String database = Sql.ident(source.database());
      long frozenAt = System.nanoTime();
      PgInventory.call(source, "freezing writes",
          () -> exec(s, "ALTER DATABASE " + database + " SET default_transaction_read_only = on"));
      String finalLsn;
      int terminated;
      int copied = 0;
      long sourceWrites;
      // Until the target's transaction below commits, the source is still the primary: any failure
      // up to there releases the freeze, so a failed switchover costs the application nothing.
      try {
        terminated = PgInventory.call(source, "ending application sessions", () -> terminateSessions(s));
        // The insert position covers every commit record, including asynchronous commits whose WAL
        // is not written yet (pg_current_wal_lsn() would stop short of them).
        finalLsn = PgInventory.call(source, "reading the WAL position",
            () -> Sql.one(s, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1)));
        PgInventory.flushWal(s);
        long deadline = frozenAt + maxFreeze.toNanos();
        if (!PgInventory.call(source, "waiting for the target", () -> drained(s, t, slot, finalLsn, deadline))) {
          throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
              "replication lag did not reach zero within " + plan.cutover().maxFreeze() + " (slot " + slot
                  + " still behind " + finalLsn + "); writes were released on the source, nothing was lost;"
                  + " check the subscription on the target, or raise cutover.maxFreeze, then switch over again");
        }
        for (PgInventory.Seq seq : sequences) {
          Object[] value = PgInventory.call(source, "reading " + seq.display(), () -> Sql.one(s,
              "SELECT last_value, is_called FROM " + seq.quoted(), rs -> new Object[] {rs.getLong(1), rs.getBoolean(2)}));
          PgInventory.call(target, "setting " + seq.display(), () -> Sql.one(t, "SELECT setval(?::regclass, ?, ?)",
              rs -> rs.getLong(1), seq.quoted(), value[0], value[1]));
          copied++;
        }
        sourceWrites = PgInventory.call(source, "reading table statistics", () -> sourceWrites(s, tables));
      } catch (RuntimeException e) {
        release(s, database);
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
            SwitchoverResult r = new SwitchoverResult(freezeMillis, finalLsn, sequencesCopied, terminated);
            Sql.one(t, "INSERT INTO " + SWITCHOVER_TABLE + " (migration, write_freeze_millis, final_lsn,"
                    + " sequences_copied, sessions_terminated, source_writes) VALUES (?, ?, ?, ?, ?, ?)"
                    + " RETURNING 1",
                rs -> 1, plan.name(), r.writeFreezeMillis(), r.finalLsn(), r.sequencesCopied(),
                r.sessionsTerminated(), writesAtSwitch);
            commitSent[0] = true;
            t.commit();
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
        if (!commitSent[0]) release(s, database);
        throw e;
      }
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
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

  /** Our own session writes to the catalog (ALTER DATABASE), even on a retry after the freeze began. */
  private static Void writableSession(Connection c) throws SQLException {
    exec(c, "SET default_transaction_read_only = off");
    return null;
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
      sleep(DRAIN_POLL_MILLIS);
    }
    return terminated;
  }

  private static boolean drained(Connection s, Connection t, String slot, String lsn, long deadline)
      throws SQLException {
    while (true) {
      PgInventory.flushWal(t);
      Boolean done = Sql.one(s,
          "SELECT confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= ?::pg_lsn"
              + " FROM pg_replication_slots WHERE slot_name = ?",
          rs -> rs.getBoolean(1), lsn, slot);
      if (done == null) {
        throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
            "replication slot " + slot + " disappeared from the source during switchover; writes were released"
                + " on the source, nothing was lost; start the change stream again, then switch over");
      }
      if (done) return true;
      if (System.nanoTime() > deadline) return false;
      sleep(DRAIN_POLL_MILLIS);
    }
  }

  private static void release(Connection s, String database) {
    try {
      Sql.exec(s, "ALTER DATABASE " + database + " RESET default_transaction_read_only");
    } catch (SQLException e) {
      throw new IllegalStateException("the switchover failed and releasing the write freeze on the source failed"
          + " too (" + e.getMessage() + "); run ALTER DATABASE " + database
          + " RESET default_transaction_read_only on the source", e);
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
  }

  private static Recorded recorded(Connection t, MigrationPlan plan) throws SQLException {
    Boolean exists = Sql.one(t, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), SWITCHOVER_TABLE);
    if (exists == null || !exists) return null;
    return Sql.one(t, "SELECT write_freeze_millis, final_lsn, sequences_copied, sessions_terminated, source_writes"
            + " FROM " + SWITCHOVER_TABLE + " WHERE migration = ?",
        rs -> new Recorded(new SwitchoverResult(rs.getLong(1), rs.getString(2), rs.getInt(3), rs.getInt(4)),
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
      sleep(STATS_FLUSH_MILLIS);
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
      PgInventory.call(target, "dropping the subscription",
          () -> { PgReplication.dropSubscription(t, PgNames.subscription(plan)); return null; });
      // The old source stays read-only for new sessions; this session needs to drop objects there.
      PgInventory.call(source, "preparing the session", () -> writableSession(s));
      PgInventory.call(source, "dropping the replication slot",
          () -> { PgReplication.dropSlot(s, PgNames.slot(plan)); return null; });
      PgInventory.call(source, "dropping the publication",
          () -> { PgReplication.dropPublication(s, PgNames.publication(plan)); return null; });
      PgInventory.call(target, "dropping the bookkeeping schema",
          () -> exec(t, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE"));
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

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
      return stats;
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void startReverseReplication(MigrationPlan plan) {
    throw new IllegalStateException("placeholder");
  }

  @Override
  public dev.phaseshift.model.RollbackResult rollback(MigrationPlan plan) {
    throw new IllegalStateException("placeholder");
  }

  @Override
  public void dropTargetObjects(MigrationPlan plan) {
    throw new IllegalStateException("placeholder");
  }

  @Override
  public List<String> longWriteTransactions(MigrationPlan plan) {
    throw new IllegalStateException("placeholder");
  }
}
