package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Stopping the target's apply, for the operator's pause of the change stream and for validation's
 * own short pause. Validation marks the subscription (a comment on it) before disabling it, so a
 * worker that dies inside the pause cannot leave the stream stopped: the next validation, on any
 * worker, recognises the mark and resumes it. A subscription disabled without the mark was paused
 * by the operator and stays paused.
 */
final class PgApplyPause {
  private static final String MARK = "phaseshift: paused for validation";
  private static final String LOCK_PREFIX = "phaseshift validation pause ";
  /** How long a pause waits for the apply worker to stop after the subscription is disabled. */
  private static final long STOP_WAIT_MILLIS = 15_000;

  /** What the subscription was doing before validation touched it. */
  enum State { APPLYING, PAUSED_BY_OPERATOR, MISSING }

  private PgApplyPause() {}

  /**
   * The subscription's state; one left paused by an earlier validation is resumed first. The caller
   * holds {@link #exclusive}, so that validation is not running any more.
   */
  static State state(Connection t, String subscription) throws SQLException {
    String[] row = Sql.one(t, "SELECT subenabled::text, coalesce(obj_description(oid, 'pg_subscription'), '')"
        + " FROM pg_subscription WHERE subname = ?", rs -> new String[] {rs.getString(1), rs.getString(2)},
        subscription);
    if (row == null) return State.MISSING;
    if ("true".equals(row[0])) return State.APPLYING;
    if (!MARK.equals(row[1])) return State.PAUSED_BY_OPERATOR;
    resume(t, subscription);
    return State.APPLYING;
  }

  /**
   * Takes the session's advisory lock for pausing {@code subscription}, waiting up to {@code wait}
   * for another validation to let go. Only its holder may take a mark for a dead validation's.
   */
  static void exclusive(Connection t, String subscription, Duration wait) throws SQLException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!Boolean.TRUE.equals(Sql.one(t, "SELECT pg_try_advisory_lock(hashtext(?))", rs -> rs.getBoolean(1),
        LOCK_PREFIX + subscription))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("another validation kept subscription " + subscription + " paused for"
            + " longer than " + wait.toMillis() + "ms; validation is retried");
      }
      Polling.sleep(50);
    }
  }

  static void release(Connection t, String subscription) throws SQLException {
    Sql.one(t, "SELECT pg_advisory_unlock(hashtext(?))", rs -> rs.getBoolean(1), LOCK_PREFIX + subscription);
  }

  /** Marks, disables, and waits until the apply worker has exited. */
  static void pause(Connection t, String subscription, PgEndpoint target) throws SQLException {
    // After the switchover the reverse stream's subscriber is the old database, read-only for new
    // sessions; marking and disabling its subscription are this session's own writes.
    WriteFreeze.allowOwnWrites(t);
    Sql.exec(t, "COMMENT ON SUBSCRIPTION " + Sql.ident(subscription) + " IS " + Sql.literal(MARK));
    stopApply(t, subscription, target);
  }

  static void resume(Connection t, String subscription) throws SQLException {
    WriteFreeze.allowOwnWrites(t);
    Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
    forget(t, subscription);
  }

  /** Removes the mark: whoever disables the subscription from now on is not a validation. */
  static void forget(Connection t, String subscription) throws SQLException {
    WriteFreeze.allowOwnWrites(t);
    Sql.exec(t, "COMMENT ON SUBSCRIPTION " + Sql.ident(subscription) + " IS NULL");
  }

  /**
   * Disables the subscription and waits until its apply worker has exited. DISABLE only tells the
   * apply worker to stop; it may still commit the transaction it is applying. Waiting for it to
   * exit makes "paused" mean that nothing arrives any more.
   */
  static void stopApply(Connection t, String subscription, PgEndpoint target) throws SQLException {
    Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
    long deadline = System.nanoTime() + STOP_WAIT_MILLIS * 1_000_000;
    while (applyWorkerRunning(t, subscription)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("subscription " + subscription + " on " + target
            + " is disabled but its apply worker is still running after " + STOP_WAIT_MILLIS / 1000
            + "s; the pause is retried");
      }
      Polling.sleep(20);
    }
  }

  static boolean applyWorkerRunning(Connection t, String subscription) throws SQLException {
    return Sql.one(t, "SELECT 1 FROM pg_stat_subscription WHERE subname = ? AND pid IS NOT NULL",
        rs -> 1, subscription) != null;
  }
}
