package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanDefaults;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The plan's bound on waiting for locks on application tables. A statement that queues for a lock
 * also makes every later request that conflicts with it queue behind it, the application's
 * included; so a Phaseshift statement gives up after {@code lockTimeout} (SQLSTATE 55P03), waits a
 * little and tries again, a bounded number of times, instead of waiting in the queue.
 */
final class PgLockBound {
  /** Attempts before giving up with a retryable failure; with the backoff, some seconds in all. */
  static final int ATTEMPTS = 20;
  private static final long MAX_BACKOFF_MILLIS = 1_000;
  private static final String LOCK_NOT_AVAILABLE = "55P03";

  private PgLockBound() {}

  static Duration of(MigrationPlan plan) {
    return DurationText.parse(plan.lockTimeout() == null ? PlanDefaults.LOCK_TIMEOUT : plan.lockTimeout());
  }

  /** Sets the bound for every later statement of the session. */
  static void apply(Connection c, Duration timeout) throws SQLException {
    Sql.exec(c, "SET lock_timeout = " + Sql.literal(Math.max(1, timeout.toMillis()) + "ms"));
  }

  static boolean busy(SQLException e) {
    return LOCK_NOT_AVAILABLE.equals(e.getSQLState());
  }

  /**
   * Runs {@code work} in autocommit with the bound, again after a lock timeout. The work must be
   * safe to run again (it is: every caller re-reads the state it changes).
   *
   * @param what what the work locks, for the failure message, e.g. "publishing public.a, public.b"
   */
  static <T> T retrying(Connection c, Duration timeout, String what, Sql.SqlCall<T> work) throws SQLException {
    // The caller's own setting comes back afterwards: the session may bound other waits its way.
    String before = Sql.one(c, "SELECT current_setting('lock_timeout')", rs -> rs.getString(1));
    apply(c, timeout);
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return work.get();
        } catch (SQLException e) {
          if (!busy(e)) throw e;
          giveUpOrWait(attempt, timeout, what, e);
        }
      }
    } finally {
      Sql.quietly(() -> Sql.exec(c, "SET lock_timeout = " + Sql.literal(before)));
    }
  }

  /** {@link #retrying} without a result. */
  static void retryingRun(Connection c, Duration timeout, String what, Sql.SqlAction work) throws SQLException {
    retrying(c, timeout, what, () -> {
      work.run();
      return null;
    });
  }

  /**
   * Runs {@code work} inside the session's open transaction, under a savepoint, so a lock timeout
   * undoes only the statement and the transaction (and its snapshot) stays usable for the retry.
   * The session must have the bound set already ({@link #apply}).
   */
  static <T> T inTransaction(Connection c, Duration timeout, String what, Sql.SqlCall<T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      Sql.exec(c, "SAVEPOINT phaseshift_lock_bound");
      try {
        T result = work.get();
        Sql.exec(c, "RELEASE SAVEPOINT phaseshift_lock_bound");
        return result;
      } catch (SQLException e) {
        if (!busy(e)) throw e;
        Sql.exec(c, "ROLLBACK TO SAVEPOINT phaseshift_lock_bound");
        giveUpOrWait(attempt, timeout, what, e);
      }
    }
  }

  private static void giveUpOrWait(int attempt, Duration timeout, String what, Exception e) {
    if (attempt >= ATTEMPTS) {
      // Not a MigrationException: the other session will let go sooner or later; the step is retried.
      throw new IllegalStateException(what + ": the lock stayed busy; gave up " + attempt + " times after"
          + " lockTimeout " + timeout.toMillis() + "ms each, so the application did not queue behind us"
          + " (another session holds a conflicting lock on the table: see pg_locks); the step is retried"
          + " later", e);
    }
    Polling.sleep(Math.min(MAX_BACKOFF_MILLIS, 25L << Math.min(attempt, 6)));
  }

  /**
   * pg_dump, which takes ACCESS SHARE on every table it dumps: an ALTER TABLE of the application
   * already waiting there would keep it waiting forever, and the application's writes behind that.
   * It gives up after the bound and is run again; other failures are left to the caller.
   */
  static String pgDump(PgTools tools, PgTools.Installation inst, PgEndpoint on, List<String> args, Duration timeout) {
    List<String> bounded = new ArrayList<>(args);
    bounded.add("--lock-wait-timeout=" + Math.max(1, timeout.toMillis()) + "ms");
    for (int attempt = 1; ; attempt++) {
      try {
        return tools.pgDump(inst, on, bounded);
      } catch (PgTools.ToolFailure e) {
        String stderr = e.stderr() == null ? "" : e.stderr();
        // pg_dump bounds the wait with statement_timeout around its LOCK TABLE statements.
        if (!stderr.contains("statement timeout") && !stderr.contains("lock timeout")) throw e;
        giveUpOrWait(attempt, timeout, "dumping the " + on.role() + " schema", e);
      }
    }
  }
}
