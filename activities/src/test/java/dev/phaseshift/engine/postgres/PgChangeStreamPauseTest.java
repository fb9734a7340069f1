package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.StreamTesting.assertSameContent;
import static dev.phaseshift.engine.postgres.StreamTesting.awaitDrained;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pausing the change stream holds changes in the slot; resuming delivers every one of them. */
class PgChangeStreamPauseTest {
  static PgPair pairs;

  @BeforeAll
  static void start() {
    pairs = new PgPair();
    StreamTesting.fastFeedback(pairs);
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @Test
  void pausedStreamDeliversNothingAndResumedStreamLosesNothing() throws Exception {
    pairs.resetDatabases();
    String ddl = "CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric)";
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s, ddl, "INSERT INTO accounts SELECT g, g FROM generate_series(1, 100) g");
      exec(t, ddl);
    }
    MigrationPlan plan = pairs.plan("paused");
    PgTestSupport.replicate(pairs, plan, List.of("accounts"));
    PgChangeStream stream = new PgChangeStream(new SnapshotHolder());
    awaitDrained(stream, plan, Duration.ofSeconds(20));

    stream.pause(plan);
    stream.pause(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      exec(s, "INSERT INTO accounts SELECT g, g FROM generate_series(101, 600) g",
          "UPDATE accounts SET balance = balance + 1 WHERE id <= 50");
      long lagBefore = waitForLag(stream, plan);
      exec(s, "DELETE FROM accounts WHERE id BETWEEN 51 AND 60");
      Thread.sleep(1_500);
      assertEquals(100, count(t, "SELECT count(*) FROM accounts"), "nothing arrives while paused");
      assertEquals(0, count(t, "SELECT count(*) FROM accounts WHERE balance <> id"));
      long lagAfter = waitForLag(stream, plan);
      assertTrue(lagAfter > lagBefore, "lag grows while paused: " + lagBefore + " -> " + lagAfter);
      assertEquals("false", PgTestSupport.text(t,
          "SELECT subenabled::text FROM pg_subscription WHERE subname = '" + PgNames.subscription(plan) + "'"));
    }

    stream.resume(plan);
    stream.resume(plan);
    awaitDrained(stream, plan, Duration.ofSeconds(20));
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(590, count(t, "SELECT count(*) FROM accounts"));
      assertSameContent(s, t, "accounts");
    }

    MigrationException e = assertThrows(MigrationException.class, () -> stream.pause(pairs.plan("never-attached")));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  /** Lag is measured at the WAL insert position, which asynchronous commit moves a moment later. */
  private static long waitForLag(PgChangeStream stream, MigrationPlan plan) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    long lag = stream.lag(plan).bytes();
    while (lag == 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
      lag = stream.lag(plan).bytes();
    }
    return lag;
  }
}
