package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.plan.RouterConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PgBouncer's pause guard on its own, against a real PgBouncer: a worker that stops answering
 * gets its pause resumed when the guard's time is up, and a disarmed guard leaves PgBouncer alone.
 * (A worker that dies is WorkerKilledInFreezeTest's.)
 */
class PauseGuardTest {
  @TempDir Path dir;
  PgBouncerProcess bouncer;
  PgBouncerConsole console;
  PgTools tools = PgTools.detect();

  @BeforeEach
  void start() throws Exception {
    // No server behind the entry is needed: PAUSE and RESUME act on PgBouncer's own state.
    bouncer = PgBouncerProcess.start(dir, "transaction", "app = host=127.0.0.1 port=1 dbname=app");
    console = new PgBouncerConsole(new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", null,
        "app", bouncer.ini.toString()));
  }

  @AfterEach
  void stop() throws Exception {
    if (bouncer != null) bouncer.close();
  }

  private void pause() {
    assertTrue(console.run(List.of("PAUSE \"app\""), Duration.ofSeconds(10)).ok());
    assertEquals("1", bouncer.paused(tools, "app"));
  }

  @Test
  void resumesWhenTheWorkerDoesNotAnswerInTime() throws Exception {
    PauseGuard guard = console.guard(Duration.ofSeconds(30));
    pause();
    // What hold does once PAUSE took effect: the freeze's bound from now.
    guard.hold(Duration.ofSeconds(1));
    long started = System.nanoTime();
    while (!"0".equals(bouncer.paused(tools, "app"))) {
      assertTrue(System.nanoTime() - started < 10_000_000_000L, "the guard did not resume within 10 s");
      Thread.sleep(100);
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("the guard resumed after " + millis + " ms");
    assertTrue(millis >= 900, "not before its time: " + millis + " ms");
    Thread.sleep(200);
    assertFalse(guard.armed(), "the guard ended after resuming");
    guard.close();
  }

  @Test
  void aDisarmedGuardLeavesThePauseToTheWorker() throws Exception {
    PauseGuard guard = console.guard(Duration.ofSeconds(1));
    pause();
    guard.close();
    assertFalse(guard.armed());
    Thread.sleep(2_000);
    assertEquals("1", bouncer.paused(tools, "app"), "nothing resumed behind the worker's back");
    assertTrue(console.run(List.of("RESUME \"app\""), Duration.ofSeconds(10)).ok());
  }
}
