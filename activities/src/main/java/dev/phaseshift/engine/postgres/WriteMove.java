package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Moves writes from one side to the other over the replication stream between them: freezes the
 * side that loses them ({@link SessionFreeze}: locks that die with the worker), ends its sessions,
 * waits until the other side has applied the last change (seen by a {@link FreezeMarker}, or for
 * migrations without one, by the slot's confirmed position), copies sequences, makes the side
 * read-only for good and hands writes over. Until the hand-over is sent, any failure lifts the
 * freeze again, so a failed move costs the application nothing. The switchover moves writes from
 * source to target, a rollback from target back to source.
 */
final class WriteMove {
  private static final long DRAIN_POLL_MILLIS = 10;
  private static final long SESSIONS_POLL_MILLIS = 2;

  /** Which way writes move; says what operators read when the move stops. */
  enum Direction {
    SWITCHOVER, ROLLBACK;

    private String waiting() {
      return this == SWITCHOVER ? "waiting for the target" : "waiting for the source";
    }

    private String slotGone(String slot) {
      return this == SWITCHOVER
          ? "replication slot " + slot + " disappeared from the source during switchover; writes were released"
              + " on the source, nothing was lost; start the change stream again, then switch over"
          : "the reverse replication slot " + slot + " disappeared from the target during rollback; writes were"
              + " released on the target, nothing was lost; the source cannot be brought up to date without"
              + " that slot";
    }

    private String notDrained(String maxFreeze, String slot, String position, String subscription) {
      return this == SWITCHOVER
          ? "replication lag did not reach zero within " + maxFreeze + " (slot " + slot + " still behind "
              + position + "); writes were released on the source, nothing was lost; check the subscription on"
              + " the target, or raise cutover.maxFreeze, then switch over again"
          : "reverse replication lag did not reach zero within " + maxFreeze + " (slot " + slot + " still behind "
              + position + "); writes were released on the target, nothing was lost; check the subscription "
              + subscription + " on the source, or raise cutover.maxFreeze, then roll back again";
    }

    /** A rollback finds sequences the target gained after the switchover; the old source lacks them. */
    private boolean skipsMissingSequences() {
      return this == ROLLBACK;
    }
  }

  /** Where the frozen side stood once the other side had everything, and when each part ended. */
  record Drained(String finalPosition, int sessionsEnded, int sequencesCopied, long frozenAtNanos,
      long frozenAtEpochMillis, long deadlineNanos, long sessionsEndedAtNanos, long drainedAtNanos,
      long sequencesCopiedAtNanos) {
    long freezeMillis() {
      return Math.max(1, (System.nanoTime() - frozenAtNanos) / 1_000_000);
    }
  }

  /** More work that must happen inside the freeze, after the sequences. */
  @FunctionalInterface
  interface InsideFreeze {
    void run(Drained drained);
  }

  /** Commits the move. Calls {@code sending} right before the commit that makes the move happen. */
  @FunctionalInterface
  interface HandOver<T> {
    T commit(Drained drained, Runnable sending);
  }

  private final Direction direction;
  private final PgSession from;
  private final PgSession to;
  private final String slot;
  private final String subscription;
  private final String maxFreeze;
  private final long maxFreezeNanos;
  private final Runnable afterRelease;
  private final Optional<FreezeMarker> marker;

  /**
   * @param slot the slot on {@code from} that {@code subscription} on {@code to} streams from
   * @param maxFreeze how long writes may stay frozen, as the plan writes it
   * @param afterRelease clean-up once the freeze was lifted after a failure
   * @param marker how the freeze learns that {@code to} has every change, found before the freeze;
   *     empty: by the slot's confirmed position
   */
  WriteMove(Direction direction, PgSession from, PgSession to, String slot, String subscription, String maxFreeze,
      Runnable afterRelease, Optional<FreezeMarker> marker) {
    this.direction = direction;
    this.from = from;
    this.to = to;
    this.slot = slot;
    this.subscription = subscription;
    this.maxFreeze = maxFreeze;
    this.maxFreezeNanos = DurationText.parse(maxFreeze).toNanos();
    this.afterRelease = afterRelease;
    this.marker = marker;
  }

  /**
   * @param tables the migrated tables, which the freeze locks on the side that loses writes
   */
  <T> T run(List<TableInfo> tables, List<PgInventory.Seq> sequences, InsideFreeze insideFreeze,
      HandOver<T> handOver) {
    // Connected before the clock starts: the application is not held until the locks are taken.
    SessionFreeze freeze = SessionFreeze.open(from.endpoint(), Duration.ofNanos(maxFreezeNanos));
    long frozenAt = System.nanoTime();
    long frozenAtEpochMillis = System.currentTimeMillis();
    long deadline = frozenAt + maxFreezeNanos;
    freeze.lock(tables, deadline);
    try {
      Drained drained;
      try {
        int ended = from.call("ending application sessions", c -> endSessions(c, freeze.pid()));
        long endedAt = System.nanoTime();
        String position = marker.isPresent() ? awaitMarker(marker.get(), deadline) : awaitConfirmed(deadline);
        long drainedAt = System.nanoTime();
        int copied = SequenceCopy.copy(from, to, sequences, direction.skipsMissingSequences());
        drained = new Drained(position, ended, copied, frozenAt, frozenAtEpochMillis, deadline, endedAt, drainedAt,
            System.nanoTime());
        insideFreeze.run(drained);
        retire(freeze);
      } catch (RuntimeException e) {
        // The lasting setting goes before the locks, so no session opens read-only after the freeze.
        release();
        freeze.close();
        throw e;
      }
      boolean[] sent = {false};
      try {
        return handOver.commit(drained, () -> sent[0] = true);
      } catch (RuntimeException e) {
        // Before the commit was sent the other side cannot have taken writes, so they go back to the
        // frozen side. Once it was sent the outcome is unknown: the side stays read-only, and a retry
        // either finds the record or repeats the step; both are safe, writing to both is not.
        if (!sent[0]) {
          release();
          freeze.close();
        }
        throw e;
      }
    } finally {
      freeze.close();
    }
  }

  /**
   * Makes the frozen side read-only for good before the other side commits the hand-over: a worker
   * that dies between the two commits leaves both sides refusing writes until the retry, never
   * both taking them. Sessions opened before the setting are ended while the locks still hold, and
   * the freeze must have held throughout, or writes may have slipped past the drained position.
   */
  private void retire(SessionFreeze freeze) {
    WriteFreeze.retire(from);
    from.call("ending sessions opened before the database became read-only", c -> endSessions(c, freeze.pid()));
    freeze.checkHeld();
  }

  /**
   * The other side has every change once it shows the marker written after the sessions ended
   * ({@link FreezeMarker} says why); its apply worker commits asynchronously, so one flush of its
   * WAL then makes all of them durable before anything is handed over.
   *
   * @return where the frozen side's WAL stood at the marker: every application commit is before it
   */
  private String awaitMarker(FreezeMarker m, long deadline) {
    FreezeMarker.Written written = m.write(from);
    if (!to.call(direction.waiting(), c -> m.awaitApplied(c, written, deadline))) {
      if (!from.call("looking for the replication slot", c -> PgReplication.slotExists(c, slot))) {
        throw new MigrationException(FailureTypes.LAG_NOT_DRAINED, direction.slotGone(slot));
      }
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          direction.notDrained(maxFreeze, slot, written.position(), subscription));
    }
    PgInventory.flushWal(to.connection());
    return written.position();
  }

  /** For a migration without a marker: waits for the subscriber's progress report to pass the position. */
  private String awaitConfirmed(long deadline) {
    // The insert position covers every commit record, including asynchronous commits whose WAL
    // is not written yet (pg_current_wal_lsn() would stop short of them).
    String position = from.one("reading the WAL position", "SELECT pg_current_wal_insert_lsn()::text",
        rs -> rs.getString(1));
    PgInventory.flushWal(from.connection());
    if (!from.call(direction.waiting(), c -> drained(c, to.connection(), position, deadline))) {
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          direction.notDrained(maxFreeze, slot, position, subscription));
    }
    return position;
  }

  private void release() {
    WriteFreeze.releaseAfterFailure(from);
    afterRelease.run();
  }

  /**
   * Ends every other client session on the database; their open transactions roll back, and new
   * sessions start read-only. Replication connections (walsenders) are left alone. Waits until
   * the sessions are gone, so no write of theirs can commit after the WAL position is read.
   */
  private static int endSessions(Connection c, int freezePid) throws SQLException {
    // One statement signals them all, and they exit in parallel: a round trip per session would
    // add up inside the freeze with a pooler's dozens of server connections.
    List<int[]> signalled = Sql.query(c,
        "SELECT pid, pg_terminate_backend(pid)::int FROM pg_stat_activity WHERE datname = current_database()"
            + " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> ?",
        rs -> new int[] {rs.getInt(1), rs.getInt(2)}, freezePid);
    List<Integer> pids = signalled.stream().map(p -> p[0]).toList();
    int terminated = (int) signalled.stream().filter(p -> p[1] == 1).count();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!pids.isEmpty() && System.nanoTime() < deadline) {
      Integer alive = Sql.one(c, "SELECT count(*)::int FROM pg_stat_activity WHERE pid = ANY (?)",
          rs -> rs.getInt(1), c.createArrayOf("int4", pids.toArray()));
      if (alive == null || alive == 0) break;
      // A backend exits within a millisecond or two of the signal once it is not mid-statement.
      Polling.sleep(SESSIONS_POLL_MILLIS);
    }
    return terminated;
  }

  /**
   * Waits until the subscriber has confirmed the publisher's slot up to {@code position}. The
   * subscriber applies with asynchronous commit and confirms only what it flushed, so its WAL is
   * flushed on every round.
   */
  private boolean drained(Connection publisher, Connection subscriber, String position, long deadline)
      throws SQLException {
    while (true) {
      PgInventory.flushWal(subscriber);
      Boolean done = Sql.one(publisher,
          "SELECT confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= ?::pg_lsn"
              + " FROM pg_replication_slots WHERE slot_name = ?",
          rs -> rs.getBoolean(1), position, slot);
      if (done == null) throw new MigrationException(FailureTypes.LAG_NOT_DRAINED, direction.slotGone(slot));
      if (done) return true;
      if (System.nanoTime() > deadline) return false;
      Polling.sleep(DRAIN_POLL_MILLIS);
    }
  }
}
