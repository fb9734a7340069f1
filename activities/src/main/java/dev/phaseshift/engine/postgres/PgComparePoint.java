package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One round's point of comparison, taken without blocking a single writer (the way Vitess VDiff
 * compares at a stream position). The target's apply is stopped for a moment; the position C of
 * the last source commit it applied is read from the subscription's replication origin, and the
 * target's snapshot then shows exactly the source's content as of C. The source is snapshotted
 * right after, at a later point; the rows that differ between the two points are exactly those
 * written by transactions committed after C, which the migration's own slot still holds: peeked
 * (not consumed) they name the rows to leave out of this round. The apply resumes at once.
 *
 * <p>Both snapshots are exported and stay open until {@link #close}, so comparing sessions can
 * import them.
 */
final class PgComparePoint implements AutoCloseable {
  /** The target must be this close to the source before the apply is stopped: the peek stays short. */
  static final long CATCH_UP_BYTES = 8L * 1024 * 1024;
  private static final long POLL_MILLIS = 20;

  private final PgSessionPair sides;
  final String sourceSnapshot;
  final String targetSnapshot;
  /** The source's insert position right after its snapshot: every commit the snapshot sees lies before it. */
  final String upTo;
  /** Rows written after the target's position and up to {@link #upTo}: not comparable in this round. */
  final PgChangedKeys.Changes changes;

  private PgComparePoint(PgSessionPair sides, String sourceSnapshot, String targetSnapshot, String upTo,
      PgChangedKeys.Changes changes) {
    this.sides = sides;
    this.sourceSnapshot = sourceSnapshot;
    this.targetSnapshot = targetSnapshot;
    this.upTo = upTo;
    this.changes = changes;
  }

  /**
   * @param stream   the stream compared through: the name of its slot on the plan's source, of the
   *                 publication it decodes and of the subscription on the plan's target, which a
   *                 migration names alike (the forward stream, or after the switchover the reverse
   *                 one, with the plan's sides swapped)
   * @param catchUp  how long to wait for the target to come within {@link #CATCH_UP_BYTES}
   * @param maxPause how long the target's apply may stay stopped
   */
  static PgComparePoint take(MigrationPlan plan, String stream, Duration catchUp, Duration maxPause) {
    long started = System.nanoTime();
    while (true) {
      PgSessionPair sides = PgSessionPair.open(plan);
      try {
        PgComparePoint point = attempt(stream, sides, catchUp, maxPause);
        if (point != null) return point;
        sides.close();
      } catch (RuntimeException e) {
        closeQuietly(sides, e);
        throw e;
      }
      // The operator paused the stream and the source moved on: the target cannot catch up until
      // the stream is resumed, so wait for that as long as we would wait for a slow target.
      if (System.nanoTime() - started > catchUp.toNanos()) {
        throw new MigrationException(FailureTypes.VALIDATION_FAILED, "the target did not catch up with the source"
            + " within " + catchUp.toMillis() + "ms: subscription " + stream + " on the target"
            + " is disabled (the change stream is paused) and the source has committed changes since; resume the"
            + " change stream, then validate again");
      }
      Polling.sleep(500);
    }
  }

  /** A point, or null when the stream is paused by the operator and the target is behind. */
  private static PgComparePoint attempt(String stream, PgSessionPair sides, Duration catchUp,
      Duration maxPause) {
    String slot = stream;
    String subscription = stream;
    PgSession s = sides.source();
    PgSession t = sides.target();
    s.run("preparing the session", PgComparePoint::textSettings);
    t.run("preparing the session", PgComparePoint::textSettings);
    if (!s.call("looking up slot " + slot, c -> PgReplication.slotExists(c, slot))) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "replication slot " + slot + " does not exist on the source, so the target is not receiving"
              + " changes; start the change stream again before validating");
    }
    // One validation at a time pauses a subscription (a drift check beside a re-validation, or a
    // retried attempt beside one still running): another's resume would restart the apply in the
    // middle of this one's point. The lock is the session's, so a dead worker's goes with it.
    t.run("waiting for another validation's pause", c -> PgApplyPause.exclusive(c, subscription, catchUp));
    PgApplyPause.State state = t.call("looking up subscription " + subscription,
        c -> PgApplyPause.state(c, subscription));
    if (state == PgApplyPause.State.MISSING) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "subscription " + subscription + " does not exist"
          + " on the target, so it receives no changes; attach the change stream before validating");
    }
    boolean ours = state == PgApplyPause.State.APPLYING;
    if (ours) {
      awaitCatchUp(slot, subscription, s, t, catchUp);
      awaitApplying(s, t, subscription, catchUp);
    }
    long deadline = System.nanoTime() + maxPause.toNanos();
    if (ours) t.run("pausing the apply", c -> PgApplyPause.pause(c, subscription, t.endpoint()));
    try {
      awaitSlotReleased(s, slot, deadline, maxPause);
      long applied = t.call("reading the applied position", c -> appliedPosition(c, subscription));
      t.exec("opening the snapshot", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      String targetSnapshot = t.one("exporting the snapshot", "SELECT pg_export_snapshot()", rs -> rs.getString(1));
      s.run("flushing WAL", PgInventory::flushWal);
      s.exec("opening the snapshot", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      // The first query takes the snapshot; the insert position is read after it, so every commit
      // the snapshot sees lies before it (the write position could lie before commit records
      // already visible, with asynchronous commit).
      String sourceSnapshot = s.one("exporting the snapshot", "SELECT pg_export_snapshot()", rs -> rs.getString(1));
      String upTo = s.one("reading the position", "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1));
      PgChangedKeys.Changes changes = peek(s.endpoint(), slot, applied, upTo, deadline, maxPause);
      if (!ours && changes.transactions() > 0) return null;
      return new PgComparePoint(sides, sourceSnapshot, targetSnapshot, upTo, changes);
    } finally {
      // Not on t: its transaction is read-only, and a change there would only count at its commit.
      if (ours) resume(t.endpoint(), subscription);
      t.run("letting other validations pause", c -> PgApplyPause.release(c, subscription));
    }
  }

  /** Waits until the slot's consumer is within {@link #CATCH_UP_BYTES} of the source; nothing is held meanwhile. */
  private static void awaitCatchUp(String slot, String subscription, PgSession s, PgSession t, Duration catchUp) {
    long deadline = System.nanoTime() + catchUp.toNanos();
    while (true) {
      t.run("flushing WAL", PgInventory::flushWal);
      var lag = s.call("measuring the lag", c -> PgReplication.lag(c, slot));
      if (lag.bytes() <= CATCH_UP_BYTES) return;
      if (System.nanoTime() > deadline) {
        throw new MigrationException(FailureTypes.VALIDATION_FAILED, "the target did not catch up with the source"
            + " within " + catchUp.toMillis() + "ms (slot " + slot + " is "
            + lag.bytes() + " bytes behind); check that subscription " + subscription + " is enabled"
            + " and its apply worker is not failing (target server log), then validate again");
      }
      Polling.sleep(POLL_MILLIS);
    }
  }

  /**
   * Waits for the apply worker to run and to have applied what the source had written when the
   * wait began: the rows written between that position and this round's snapshot are the ones left
   * out, so a small window leaves few. After the previous round's pause the launcher restarts the
   * worker only after wal_retrieve_retry_interval (5s by default). Without a commit to apply the
   * position does not move, so that wait gives up after a second and the round goes on.
   */
  private static void awaitApplying(PgSession s, PgSession t, String subscription, Duration catchUp) {
    long deadline = System.nanoTime() + catchUp.toNanos();
    while (!t.call("looking at the apply worker", c -> PgApplyPause.applyWorkerRunning(c, subscription))) {
      if (System.nanoTime() > deadline) return; // the lag wait has bounded the window already
      Polling.sleep(POLL_MILLIS);
    }
    long start = Long.parseUnsignedLong(s.one("reading the position",
        "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text", rs -> rs.getString(1)));
    long settle = System.nanoTime() + 1_000_000_000L;
    while (Long.compareUnsigned(t.call("reading the applied position", c -> appliedPosition(c, subscription)), start) < 0
        && System.nanoTime() < settle) {
      Polling.sleep(POLL_MILLIS);
    }
  }

  /** The walsender ends a moment after the apply worker; the slot can be peeked only once it has. */
  private static void awaitSlotReleased(PgSession s, String slot, long deadline, Duration maxPause) {
    while (Boolean.TRUE.equals(s.one("looking at slot " + slot,
        "SELECT active FROM pg_replication_slots WHERE slot_name = ?", rs -> rs.getBoolean(1), slot))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("slot " + slot + " on the source stayed in use for " + maxPause.toMillis()
            + "ms after the target's apply was paused; the apply was resumed and validation is retried");
      }
      Polling.sleep(POLL_MILLIS);
    }
  }

  /**
   * The end of the last source commit the target applied, from the subscription's replication
   * origin ({@code pg_<subscription oid>}); 0 when it has applied none yet.
   */
  static long appliedPosition(Connection t, String subscription) throws SQLException {
    String lsn = Sql.one(t, "SELECT coalesce((SELECT (o.remote_lsn - '0/0'::pg_lsn)::text"
        + " FROM pg_replication_origin_status o WHERE o.external_id = 'pg_' || s.oid), '0')"
        + " FROM pg_subscription s WHERE s.subname = ?", rs -> rs.getString(1), subscription);
    return lsn == null ? 0 : Long.parseUnsignedLong(lsn);
  }

  /**
   * Reads the changed keys on a session of its own, with the comparing sessions' text settings
   * (the keys come back as text) and a statement timeout that keeps the apply's pause bounded.
   */
  private static PgChangedKeys.Changes peek(PgEndpoint source, String slot, long applied,
      String upTo, long deadline, Duration maxPause) {
    try (PgSession p = PgSession.open(source)) {
      return p.call("reading the changed rows from slot " + slot, c -> {
        textSettings(c);
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        Sql.exec(c, "SET statement_timeout = " + left);
        try {
          // The publication is named like its slot.
          return PgChangedKeys.after(c, slot, slot, applied, upTo);
        } catch (SQLException e) {
          if (!"57014".equals(e.getSQLState())) throw e;
          throw new IllegalStateException("reading the rows changed since the target's position from slot " + slot
              + " took longer than the " + maxPause.toMillis() + "ms the target's apply may stay paused; the"
              + " apply was resumed and validation is retried", e);
        }
      });
    }
  }

  /** Resumes the apply, once more on failure; then the mark makes the next validation resume it. */
  private static void resume(PgEndpoint target, String subscription) {
    RuntimeException failure = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      try (PgSession control = PgSession.open(target)) {
        control.run("resuming subscription " + subscription, c -> PgApplyPause.resume(c, subscription));
        return;
      } catch (RuntimeException e) {
        failure = e;
        Polling.sleep(200);
      }
    }
    throw new IllegalStateException("could not resume subscription " + subscription + " on the target after"
        + " validation paused it: " + failure.getMessage() + "; the next validation resumes it", failure);
  }

  static void textSettings(Connection c) throws SQLException {
    for (String set : PgChunkChecksums.TEXT_SETTINGS) Sql.exec(c, set);
  }

  PgSession source() {
    return sides.source();
  }

  PgSession target() {
    return sides.target();
  }

  /** Ends both snapshots and closes the sessions. */
  @Override
  public void close() {
    Sql.quietly(() -> Sql.exec(sides.source().connection(), "COMMIT"));
    Sql.quietly(() -> Sql.exec(sides.target().connection(), "COMMIT"));
    sides.close();
  }

  private static void closeQuietly(PgSessionPair sides, RuntimeException failure) {
    try {
      sides.close();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }
}
