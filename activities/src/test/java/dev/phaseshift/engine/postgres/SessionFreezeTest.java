package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The session-held write freeze: what it stops, and that it ends without the worker's help. */
class SessionFreezeTest {
  private static final List<TableInfo> TABLES =
      List.of(StreamTesting.table("public", "orders"), StreamTesting.table("public", "lines"));

  static PgPair pairs;

  @BeforeAll
  static void start() {
    pairs = new PgPair();
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE orders (id int PRIMARY KEY)", "CREATE TABLE lines (id int PRIMARY KEY)",
          "INSERT INTO orders VALUES (1)");
    }
  }

  private static PgEndpoint source() {
    return PgEndpoint.source(pairs.plan("freeze"));
  }

  /** A write as the application makes it, giving up after {@code waitMillis} behind a lock. */
  private static void write(Connection c, long waitMillis) throws SQLException {
    exec(c, "SET lock_timeout = " + waitMillis, "INSERT INTO orders VALUES ((SELECT max(id) + 1 FROM orders))");
  }

  @Test
  void stopsWritesButNotReadsAndEndsOnItsOwnWhenTheWorkerHangs() throws Exception {
    Duration maxFreeze = Duration.ofSeconds(1);
    long started = System.nanoTime();
    // Taken and never closed: a worker that stopped answering.
    SessionFreeze hung = SessionFreeze.take(source(), TABLES, maxFreeze, started + maxFreeze.toNanos());
    try (Connection app = pairs.source()) {
      assertEquals(1, PgTestSupport.count(app, "SELECT count(*) FROM orders"), "reads go on");
      SQLException blocked = assertThrows(SQLException.class, () -> write(app, 200));
      assertEquals("55P03", blocked.getSQLState(), "writes wait behind the freeze");
      exec(app, "ROLLBACK");
      long deadline = System.nanoTime() + maxFreeze.plus(SessionFreeze.GRACE).plusSeconds(10).toNanos();
      while (true) {
        try {
          write(app, 200);
          break;
        } catch (SQLException e) {
          exec(app, "ROLLBACK");
          assertTrue(System.nanoTime() < deadline, "the freeze outlived maxFreeze + 10 s");
        }
      }
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("a hung worker's freeze ended after " + millis + " ms");
    assertTrue(millis >= maxFreeze.plus(SessionFreeze.GRACE).toMillis() - 100, "ended at " + millis + " ms");
    assertThrows(IllegalStateException.class, hung::checkHeld, "the freeze knows it no longer holds");
    hung.close();
  }

  @Test
  void givesUpRatherThanMakeTheApplicationWaitOrFail() throws Exception {
    try (Connection app = pairs.source()) {
      // An application transaction that holds one table for longer than the freeze may take, and
      // meanwhile writes the other: the order that would deadlock with a freeze that waited.
      app.setAutoCommit(false);
      exec(app, "INSERT INTO lines VALUES (1)");
      long[] appWaitMillis = {-1};
      Throwable[] appFailure = {null};
      Thread application = new Thread(() -> {
        try {
          Thread.sleep(300);
          long before = System.nanoTime();
          exec(app, "INSERT INTO orders VALUES (2)");
          appWaitMillis[0] = (System.nanoTime() - before) / 1_000_000;
          Thread.sleep(1_500);
          app.commit();
        } catch (Throwable t) {
          appFailure[0] = t;
        }
      });
      application.start();
      long started = System.nanoTime();
      MigrationException e = assertThrows(MigrationException.class,
          () -> SessionFreeze.take(source(), TABLES, Duration.ofSeconds(1), started + 1_000_000_000L));
      long millis = (System.nanoTime() - started) / 1_000_000;
      application.join();
      assertEquals(null, appFailure[0], "the application's transaction neither deadlocked nor failed");
      assertEquals(FailureTypes.LAG_NOT_DRAINED, e.type());
      assertTrue(e.getMessage().contains("nothing was frozen"), e.getMessage());
      assertTrue(millis < 3_000, "bounded by the deadline: " + millis);
      System.out.println("the application's write waited " + appWaitMillis[0] + " ms behind the freeze's attempts");
      assertTrue(appWaitMillis[0] >= 0 && appWaitMillis[0] < 1_000, "below deadlock_timeout: " + appWaitMillis[0]);
    }
    try (Connection s = pairs.source()) {
      assertEquals(2, PgTestSupport.count(s, "SELECT count(*) FROM orders"));
      assertEquals(1, PgTestSupport.count(s, "SELECT count(*) FROM lines"));
      assertEquals(0, PgTestSupport.count(s, "SELECT count(*) FROM pg_stat_activity"
          + " WHERE application_name = 'phaseshift freeze'"), "no freezing session stays behind");
    }
  }

  /**
   * An autovacuum of a migrated table holds a lock the freeze conflicts with, and the server
   * cancels it only for a waiter past deadlock_timeout, which the freeze's short attempts never
   * are: the freeze cancels it, and is taken long before that vacuum (slowed to a crawl here)
   * would have ended.
   */
  @Test
  void aRunningAutovacuumDoesNotHoldTheFreezeOff() throws Exception {
    try (Connection s = pairs.source()) {
      exec(s, "INSERT INTO orders SELECT g FROM generate_series(2, 200000) g", "DELETE FROM orders WHERE id % 2 = 0",
          "ALTER TABLE orders SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,"
              + " autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)",
          "ALTER SYSTEM SET autovacuum_naptime = 1", "SELECT pg_reload_conf()");
      try {
        String running = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            + " AND query LIKE '%orders%'";
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (PgTestSupport.count(s, running) == 0) {
          assertTrue(System.nanoTime() < deadline, "no autovacuum of orders started within 90 s");
          Thread.sleep(100);
        }
        Duration maxFreeze = Duration.ofSeconds(3);
        try (SessionFreeze freeze = SessionFreeze.take(source(), TABLES, maxFreeze,
            System.nanoTime() + maxFreeze.toNanos())) {
          // Without the cancel this fails after 3 s ("could not freeze writes"): the vacuum runs for minutes.
          freeze.checkHeld();
        }
      } finally {
        exec(s, "ALTER TABLE orders RESET (autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor,"
            + " autovacuum_vacuum_cost_delay, autovacuum_vacuum_cost_limit)", "ALTER SYSTEM RESET autovacuum_naptime",
            "SELECT pg_reload_conf()");
      }
    }
  }
}
