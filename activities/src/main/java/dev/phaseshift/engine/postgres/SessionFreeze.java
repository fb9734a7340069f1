package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * The write freeze while writes move: a session of its own holds {@code EXCLUSIVE} locks on the
 * migrated tables in an open transaction. Reads go on; writes wait. Nothing of it is stored in the
 * catalog, so PostgreSQL itself ends the freeze when the session ends: when the worker process
 * dies (the kernel closes its socket, the backend aborts the transaction and its locks go), and,
 * for a worker that hangs or a host that vanishes without closing the socket, when the session has
 * sat idle in its transaction longer than the freeze may last ({@link #GRACE} past maxFreeze).
 *
 * <p>Taking the locks never costs the application a transaction: each attempt waits at most
 * {@link #LOCK_WAIT} (below the server's deadlock_timeout, so the deadlock detector never picks an
 * application transaction as the victim), is then given up, and tried again until the deadline.
 */
final class SessionFreeze implements AutoCloseable {
  /** How long past maxFreeze the server lets the freeze stand when the worker stops answering. */
  static final Duration GRACE = Duration.ofSeconds(5);
  /** Longest wait of one attempt at the locks, and so the longest an application write waits behind it. */
  static final Duration LOCK_WAIT = Duration.ofMillis(100);
  private static final String LOCK_NOT_AVAILABLE = "55P03";

  private final PgEndpoint on;
  private final Connection connection;
  private final int pid;
  private final Duration maxFreeze;
  private final long lockWait;

  private SessionFreeze(PgEndpoint on, Connection connection, int pid, Duration maxFreeze, long lockWait) {
    this.on = on;
    this.connection = connection;
    this.pid = pid;
    this.maxFreeze = maxFreeze;
    this.lockWait = lockWait;
  }

  /**
   * Opens the freezing session and takes the locks, retrying until {@code deadlineNanos}.
   *
   * @param maxFreeze how long the freeze may last; the server ends the session {@link #GRACE} after it
   */
  static SessionFreeze take(PgEndpoint on, List<TableInfo> tables, Duration maxFreeze, long deadlineNanos) {
    SessionFreeze freeze = open(on, maxFreeze);
    freeze.lock(tables, deadlineNanos);
    return freeze;
  }

  /**
   * Opens the freezing session without holding anything yet. Connecting costs milliseconds (a
   * fresh backend, authentication) that the application does not wait for, so a caller opens it
   * before its freeze's clock starts and then {@linkplain #lock locks}.
   *
   * @param maxFreeze how long the freeze may last; the server ends the session {@link #GRACE} after it
   */
  static SessionFreeze open(PgEndpoint on, Duration maxFreeze) {
    Connection c = on.connect();
    try {
      long bound = maxFreeze.plus(GRACE).toMillis();
      int pid;
      long lockWait;
      try (Statement s = c.createStatement()) {
        s.execute("SET application_name = 'phaseshift freeze'");
        s.execute("SET idle_in_transaction_session_timeout = " + bound);
        s.execute("SET statement_timeout = " + bound);
        pid = Sql.one(c, "SELECT pg_backend_pid()", rs -> rs.getInt(1));
        // Below deadlock_timeout, so our wait ends before any deadlock check: the application's
        // transaction is never the one aborted.
        long deadlock = Sql.one(c, "SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout'",
            rs -> rs.getLong(1));
        lockWait = Math.max(10, Math.min(LOCK_WAIT.toMillis(), deadlock / 2));
        s.execute("SET lock_timeout = " + lockWait);
      }
      c.setAutoCommit(false);
      return new SessionFreeze(on, c, pid, maxFreeze, lockWait);
    } catch (SQLException | RuntimeException e) {
      throw closedAfter(c, on, e);
    }
  }

  /** Takes the locks, retrying until {@code deadlineNanos}; on failure the session is closed. */
  void lock(List<TableInfo> tables, long deadlineNanos) {
    try {
      lock(connection, on, tables, deadlineNanos, maxFreeze, lockWait);
    } catch (SQLException | RuntimeException e) {
      throw closedAfter(connection, on, e);
    }
  }

  /** A failure before the freeze held: the session goes, and nothing stays locked. */
  private static RuntimeException closedAfter(Connection c, PgEndpoint on, Exception e) {
    closeQuietly(c);
    return e instanceof SQLException sql ? PgSession.failure("freezing writes", on, sql) : (RuntimeException) e;
  }

  private static void lock(Connection c, PgEndpoint on, List<TableInfo> tables, long deadlineNanos,
      Duration maxFreeze, long lockWait) throws SQLException {
    // Without ONLY: partitions and inheritance children are locked with their parents.
    String statement = "LOCK TABLE " + tables.stream().map(PgInventory::quoted).distinct()
        .collect(Collectors.joining(", ")) + " IN EXCLUSIVE MODE";
    for (int attempt = 1; ; attempt++) {
      try (Statement s = c.createStatement()) {
        if (!tables.isEmpty()) s.execute(statement);
        return;
      } catch (SQLException e) {
        c.rollback();
        if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) throw e;
        cancelAutovacuum(c, tables);
        long pause = ThreadLocalRandom.current().nextLong(lockWait / 2, lockWait + 1);
        if (System.nanoTime() + (pause + lockWait) * 1_000_000 > deadlineNanos) {
          throw new MigrationException(FailureTypes.LAG_NOT_DRAINED, "could not freeze writes on the " + on.role()
              + " within " + maxFreeze.toMillis() + " ms: application transactions kept the migrated tables locked"
              + " (" + attempt + " attempts of " + lockWait + " ms each); nothing was frozen and no application"
              + " transaction was affected; end long-running transactions (see cutover.maxTransactionAge) or"
              + " raise cutover.maxFreeze, then try again");
        }
        Polling.sleep(pause);
      }
    }
  }

  /**
   * Cancels the autovacuum workers that hold a lock on the migrated tables. The server does so by
   * itself for a lock waiter once it has waited deadlock_timeout; the freeze's attempts never wait
   * that long, so without this an autovacuum of a large table holds the freeze off until it ends
   * (892 ms of a switchover in bench/freeze.sh). Autovacuum starts again on its own later. A vacuum
   * that prevents wraparound is left alone, as the server leaves it; without the right to signal
   * it (superuser, or pg_signal_autovacuum_worker on 18) the freeze just waits as before.
   */
  private static void cancelAutovacuum(Connection c, List<TableInfo> tables) throws SQLException {
    try {
      Sql.query(c, "SELECT pg_cancel_backend(a.pid) FROM pg_stat_activity a"
              + " WHERE a.backend_type = 'autovacuum worker' AND a.query NOT LIKE '%to prevent wraparound%'"
              + " AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid"
              + " AND l.relation = ANY (CAST(? AS text[])::regclass[]))",
          rs -> rs.getBoolean(1), c.createArrayOf("text", tables.stream().map(PgInventory::quoted).distinct().toArray()));
    } catch (SQLException e) {
      // Not allowed to signal it: the next attempts wait for the vacuum to end.
    }
    c.rollback();
  }

  /** The freezing session's backend, which ending other sessions must spare. */
  int pid() {
    return pid;
  }

  /**
   * Fails unless the freeze has held throughout: if the server ended the session (its time was up)
   * writes may have happened since, and what was drained is not everything.
   */
  void checkHeld() {
    try (Statement s = connection.createStatement()) {
      s.execute("SELECT 1");
    } catch (SQLException e) {
      throw new IllegalStateException("the write freeze on the " + on.role() + " ended before writes were handed"
          + " over (" + e.getMessage() + "); nothing was handed over, the switch will be tried again", e);
    }
  }

  /** Ends the freeze: the transaction rolls back (it changed nothing) and the locks go with it. */
  @Override
  public void close() {
    try {
      connection.rollback();
    } catch (SQLException e) {
      // The session is gone already, and its locks with it.
    }
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // Closing a broken session: the server has ended it, and its locks with it.
    }
  }
}
