package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Another session holds a lock on a source table (an index build, a long DDL transaction). The
 * publication and validation steps give up after the plan's lockTimeout and try again instead of
 * waiting in the table's lock queue, where the application's next conflicting request would wait
 * behind them; once the lock is gone they finish.
 */
class PgLockBoundTest {
  static PgPair pairs;

  @BeforeAll
  static void start() throws Exception {
    pairs = new PgPair();
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL)",
          "INSERT INTO stock SELECT g, g FROM generate_series(1, 1000) g");
    }
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @Test
  void publishingWaitsOnlyLockTimeoutAtATimeSoTheApplicationDoesNotQueueBehindIt() throws Exception {
    MigrationPlan plan = PgTestSupport.withTables(pairs.plan("bounded-publish"),
        new TableSelection(List.of("public.stock"), List.of()));
    try (Connection holder = pairs.source(); Connection app = pairs.source(); LockWaits waits = new LockWaits()) {
      // SHARE, as CREATE INDEX holds it: CREATE PUBLICATION's SHARE UPDATE EXCLUSIVE must wait for it.
      exec(holder, "BEGIN", "LOCK TABLE stock IN SHARE MODE");
      long started = System.nanoTime();
      CompletableFuture<Void> publish = CompletableFuture.runAsync(() -> {
        try (Connection c = pairs.source()) {
          PgPublication.ensure(c, plan, "bounded_publish");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      // The application builds an index of its own meanwhile: SHARE goes with the holder's SHARE,
      // but not with a SHARE UPDATE EXCLUSIVE waiting in the queue ahead of it.
      long slowest = 0;
      for (int i = 0; i < 10; i++) {
        Thread.sleep(150);
        long t0 = System.nanoTime();
        exec(app, "BEGIN", "CREATE INDEX ON stock (qty)", "ROLLBACK");
        slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
      }
      Thread.sleep(500);
      exec(holder, "COMMIT");
      publish.get();
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMillis >= 2_000, "the publication waited for the holder: " + tookMillis + " ms");
      assertTrue(slowest < 600, "the application waited " + slowest + " ms behind the publication step");
      assertTrue(waits.longestMillis() < 600, "a lock request waited " + waits.longestMillis() + " ms");
      // The publication also carries the freeze marker (FreezeMarker); stock is what waited.
      assertEquals(1, count(app, "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'bounded_publish'"
          + " AND schemaname = 'public' AND tablename = 'stock'"));
      exec(app, "DROP PUBLICATION bounded_publish");
    }
  }

  @Test
  void validationRetriesAPieceInsteadOfQueueingBehindAnExclusiveLock() throws Exception {
    MigrationPlan plan = PgTestSupport.withTables(pairs.plan("bounded-validate"),
        new TableSelection(List.of("public.stock"), List.of()));
    PgTools tools = PgTools.detect();
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, List.of("stock"));
    try (Connection holder = pairs.source(); LockWaits waits = new LockWaits()) {
      // ACCESS EXCLUSIVE, as a long ALTER TABLE holds it: every read of the table waits for it.
      exec(holder, "BEGIN", "LOCK TABLE stock IN ACCESS EXCLUSIVE MODE");
      long started = System.nanoTime();
      CompletableFuture<ValidationResult> validation =
          CompletableFuture.supplyAsync(() -> new PgValidator(tools, Duration.ofSeconds(30), 4096).validate(plan));
      Thread.sleep(2_500);
      exec(holder, "COMMIT");
      ValidationResult result = validation.get();
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(result.passed(), result.toString());
      assertTrue(result.tables().get(0).chunks() > 1, "compared in ranges: " + result);
      assertTrue(tookMillis >= 2_500, "validation waited for the holder: " + tookMillis + " ms");
      assertTrue(waits.longestMillis() < 600, "a lock request waited " + waits.longestMillis() + " ms");
    }
  }

  /** Watches the source for lock requests and keeps the longest time one of them has waited. */
  static final class LockWaits implements AutoCloseable {
    private final AtomicLong longest = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;
    private final Thread thread;

    LockWaits() {
      thread = new Thread(() -> {
        try (Connection c = pairs.source(); Statement s = c.createStatement()) {
          while (running) {
            try (ResultSet rs = s.executeQuery("SELECT coalesce(max(extract(epoch FROM clock_timestamp() - waitstart)"
                + " * 1000), 0)::bigint FROM pg_locks WHERE NOT granted AND waitstart IS NOT NULL")) {
              rs.next();
              longest.accumulateAndGet(rs.getLong(1), Math::max);
            }
            Thread.sleep(10);
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "lock-waits");
      thread.setDaemon(true);
      thread.start();
    }

    long longestMillis() {
      return longest.get();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(5_000);
      assertNull(failure.get());
    }
  }
}
