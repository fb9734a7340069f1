package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.phaseshift.model.Lag;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** Shared pieces of the change stream and bulk copy tests. */
final class StreamTesting {
  private StreamTesting() {}

  static Supplier<Connection> sourceOf(PgPair pair) {
    return () -> {
      try {
        return pair.source();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  static Supplier<Connection> targetOf(PgPair pair) {
    return () -> {
      try {
        return pair.target();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /**
   * Shortens the target's replication timers so the tests' waits for zero lag stay short: the
   * embedded servers run with wal_sender_timeout = 0, so the walsender sends no keepalives and
   * the subscriber confirms positions only every wal_receiver_status_interval (10s by default);
   * and the launcher starts an apply worker at most every wal_retrieve_retry_interval (5s), which
   * delays each test's subscription after the previous test's.
   */
  static void fastFeedback(PgPair pair) {
    exec(targetOf(pair), "ALTER SYSTEM SET wal_receiver_status_interval = '1s'",
        "ALTER SYSTEM SET wal_retrieve_retry_interval = '200ms'", "SELECT pg_reload_conf()");
  }

  static TableInfo table(String schema, String name) {
    return new TableInfo(schema, name, 0, 0, true, "default", false);
  }

  static void exec(Supplier<Connection> connect, String... statements) {
    try (Connection c = connect.get(); Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Row count and an order-independent hash of every row's text form. */
  static String checksum(Connection c, String table) throws SQLException {
    return Sql.one(c, "SELECT count(*) || '/' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)"
        + " FROM " + table + " t", rs -> rs.getString(1));
  }

  static void assertSameContent(Connection source, Connection target, String... tables) throws SQLException {
    for (String t : tables) {
      assertEquals(checksum(source, t), checksum(target, t), "content of " + t + " (count/hash)");
    }
  }

  /** Polls until the subscriber has confirmed everything the source wrote, or fails. */
  static void awaitDrained(PgChangeStream stream, MigrationPlan plan, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Lag lag = null;
    while (System.nanoTime() < deadline) {
      lag = stream.lag(plan);
      if (lag.bytes() == 0) return;
      Thread.sleep(100);
    }
    fail("replication lag did not reach 0 within " + timeout + "; last " + lag);
  }

  /**
   * Inserts, updates and deletes on the source until stopped, one small transaction at a time,
   * as an application would while the migration runs.
   */
  static final class Writer implements AutoCloseable {
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong transactions = new AtomicLong();
    private volatile boolean running = true;

    /** @param work one transaction of writes, run again and again on one connection */
    Writer(Supplier<Connection> connect, Work work) {
      thread = new Thread(() -> {
        try (Connection c = connect.get()) {
          while (running) {
            work.run(c, ThreadLocalRandom.current());
            transactions.incrementAndGet();
            Thread.sleep(1);
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "source-writer");
      thread.setDaemon(true);
      thread.start();
    }

    long transactions() {
      return transactions.get();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(10_000);
      if (failure.get() != null) throw new AssertionError("writer failed", failure.get());
    }

    @Override
    public void close() throws InterruptedException {
      if (running) stop();
    }
  }

  @FunctionalInterface
  interface Work {
    void run(Connection c, ThreadLocalRandom random) throws Exception;
  }

  static List<String> slots(Connection c) throws SQLException {
    return Sql.query(c, "SELECT slot_name FROM pg_replication_slots ORDER BY 1", rs -> rs.getString(1));
  }
}
