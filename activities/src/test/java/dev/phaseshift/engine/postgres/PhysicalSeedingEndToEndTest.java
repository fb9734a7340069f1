package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phaseshift.activities.SeedingActivitiesImpl;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.Queries;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A whole physically seeded migration through the workflow and the real activities: a PostgreSQL
 * 18 source with an application writing, the target host's worker seeding a new server from the
 * source's files, validation, the switchover (the application moving when the source refuses
 * writes), the retention window and decommission, to COMPLETED with every acknowledged write on
 * the new primary once.
 */
class PhysicalSeedingEndToEndTest {
  @Test
  void aPhysicallySeededMigrationCompletesWithNoWriteLost() throws Exception {
    var missing = PhysicalSeedFixture.unavailable();
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    try (PhysicalSeedFixture fixture = PhysicalSeedFixture.start()) {
      try (Connection s = fixture.sourceDb(); Statement st = s.createStatement()) {
        st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, ref text NOT NULL UNIQUE, amount int NOT NULL)");
        st.execute("INSERT INTO orders (ref, amount) SELECT 'seed-' || g, g FROM generate_series(1, 20000) g");
      }
      MigrationPlan plan = fixture.plan("physical-e2e").withVerification(VerificationPolicy.off());
      TestWorkflowEnvironment env = MigrationRuns.environment(true);
      Writer app = new Writer(fixture, plan);
      try {
        app.start();
        long started = System.nanoTime();
        MigrationWorkflow workflow = MigrationRuns.start(env, plan);
        MigrationStatus waiting = MigrationRuns.awaitStatus(workflow, Duration.ofMinutes(4),
            st -> st.phase() == Phase.FAILED || st.error() != null || (st.waitingFor() != null
                && st.waitingFor().startsWith("connectionSwitched")));
        assertEquals("target", waiting.primary(), waiting.toString());
        assertTrue(app.onTarget.get() || app.awaitMove(Duration.ofSeconds(30)), "the application moved");
        workflow.connectionSwitched(new OperatorRequest("ops", "the application uses the new server"));
        MigrationReport report = WorkflowStub.fromTyped(workflow).getResult(MigrationReport.class);
        System.out.printf("physically seeded migration completed in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        app.halt();
        assertNull(app.failure.get(), String.valueOf(app.failure.get()));
        assertEquals("COMPLETED", report.outcome(), report.error());
        assertTrue(report.validation().passed(), report.validation().toString());
        // Seeded, not copied: no table went row by row, and the new server is a cluster of its own.
        assertEquals("physical", report.seeding().method(), String.valueOf(report.seeding()));
        assertEquals(List.of(), report.copies());
        System.out.printf("seeding %d ms, write freeze %d ms%n", report.seeding().millis(),
            report.switchover().writeFreezeMillis());
        assertTrue(app.afterMove.get() > 0 && app.beforeMove.get() > 0, app.toString());

        try (Connection t = PhysicalSeedFixture.target(plan); Connection s = fixture.sourceDb()) {
          List<String> acknowledged = List.copyOf(app.acknowledged);
          try (PreparedStatement ps = t.prepareStatement(
              "SELECT count(*), count(DISTINCT ref) FROM orders WHERE ref = ANY (?)")) {
            ps.setArray(1, t.createArrayOf("text", acknowledged.toArray()));
            try (var rs = ps.executeQuery()) {
              rs.next();
              assertEquals(acknowledged.size(), rs.getInt(1), "every acknowledged write is on the new primary");
              assertEquals(acknowledged.size(), rs.getInt(2), "each once");
            }
          }
          assertEquals(20000 + acknowledged.size(), Long.parseLong(Queries.text(t, "SELECT count(*) FROM orders")));
          String identity = "SELECT system_identifier::text FROM pg_control_system()";
          assertTrue(!Queries.text(s, identity).equals(Queries.text(t, identity)), "the new server has its own identity");
          System.out.println("writes: " + app.beforeMove.get() + " on the source, " + app.afterMove.get()
              + " on the new primary, none lost");
          // Decommission left nothing of the migration's on either side.
          assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'phaseshift%'"));
          assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'phaseshift%'"));
          assertEquals("0", Queries.text(t, "SELECT count(*) FROM pg_subscription"));
        }
      } finally {
        app.halt();
        env.close();
        // The new server is the test's to remove; the undo removes exactly what the seeding made.
        new SeedingActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine()))).undoPhysicalSeeding(plan);
      }
    }
  }

  @Test
  void anAbortAfterTheSeedingLeavesTheSourceAsItWasAndRemovesTheNewServer() throws Exception {
    var missing = PhysicalSeedFixture.unavailable();
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    try (PhysicalSeedFixture fixture = PhysicalSeedFixture.start()) {
      String schemas = "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace";
      String before;
      try (Connection s = fixture.sourceDb(); Statement st = s.createStatement()) {
        st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, ref text NOT NULL UNIQUE, amount int NOT NULL)");
        st.execute("INSERT INTO orders (ref, amount) SELECT 'seed-' || g, g FROM generate_series(1, 1000) g");
        before = Queries.text(s, schemas);
      }
      MigrationPlan plan = fixture.plan("physical-abort").withVerification(VerificationPolicy.off());
      Path data = Path.of(plan.seedingOrDefault().dataDirectory());
      TestWorkflowEnvironment env = MigrationRuns.environment(true);
      try {
        MigrationWorkflow workflow = MigrationRuns.start(env, plan);
        // Paused, the run waits after the seeding with the stream attached and the new server up.
        workflow.pause(new OperatorRequest("ops", "hold after the seeding"));
        MigrationRuns.awaitStatus(workflow, Duration.ofMinutes(3), st -> st.phase() == Phase.FAILED
            || st.error() != null || (st.waitingFor() != null && st.waitingFor().startsWith("paused")
                && st.phase() != Phase.PREPARE));
        assertTrue(Files.isDirectory(data), "the seeding made the new server");
        try (Connection t = PhysicalSeedFixture.target(plan)) {
          assertEquals("1000", Queries.text(t, "SELECT count(*) FROM orders"));
        }

        workflow.abort(new OperatorRequest("ops", "not today"));
        MigrationReport report = MigrationRuns.stoppedReport(workflow, "MigrationAborted");
        assertEquals(Phase.MIGRATE, report.failedIn(), report.error());

        assertTrue(!Files.exists(data), "the new server's data directory is gone");
        assertTrue(!PhysicalSeedCheck.listening("127.0.0.1", PgEndpoint.target(plan).port()), "the new server is stopped");
        try (Connection s = fixture.sourceDb()) {
          assertEquals(before, Queries.text(s, schemas), "no schema of Phaseshift's left on the source");
          assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_replication_slots"));
          assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_publication"));
        }
      } finally {
        env.close();
      }
    }
  }

  /**
   * The application: one insert at a time on the source; once the source refuses writes (the
   * freeze makes it read-only) it moves to the new server and retries the same write there until
   * it is taken. Every write it saw committed is recorded.
   */
  private static final class Writer extends Thread {
    final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger beforeMove = new AtomicInteger();
    final AtomicInteger afterMove = new AtomicInteger();
    final java.util.concurrent.atomic.AtomicBoolean onTarget = new java.util.concurrent.atomic.AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final PhysicalSeedFixture fixture;
    private final MigrationPlan plan;
    private volatile boolean stop;

    Writer(PhysicalSeedFixture fixture, MigrationPlan plan) {
      super("physical-e2e-writer");
      this.fixture = fixture;
      this.plan = plan;
    }

    @Override
    public void run() {
      Connection c = null;
      try {
        for (int n = 0; !stop; n++) {
          String ref = "app-" + n;
          while (!stop) {
            try {
              if (c == null) c = onTarget.get() ? PhysicalSeedFixture.target(plan) : fixture.sourceDb();
              try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (ref, amount) VALUES (?, ?) ON CONFLICT (ref) DO NOTHING")) {
                ps.setString(1, ref);
                ps.setInt(2, n);
                ps.executeUpdate();
              }
              acknowledged.add(ref);
              (onTarget.get() ? afterMove : beforeMove).incrementAndGet();
              break;
            } catch (SQLException e) {
              if (!onTarget.get() && "25006".equals(e.getSQLState())) onTarget.set(true);
              // Read-only source, a target still catching up (its sequence not yet moved), or a
              // session ended by the switchover: a new session and the same write again.
              closeQuietly(c);
              c = null;
              Thread.sleep(20);
            }
          }
          Thread.sleep(10);
        }
      } catch (Throwable e) {
        failure.set(e);
      } finally {
        closeQuietly(c);
      }
    }

    boolean awaitMove(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!onTarget.get() && System.nanoTime() < deadline) Thread.sleep(50);
      return onTarget.get();
    }

    void halt() throws InterruptedException {
      stop = true;
      join(30_000);
    }

    private static void closeQuietly(Connection c) {
      if (c == null) return;
      try {
        c.close();
      } catch (SQLException ignored) {
        // The session is gone either way.
      }
    }

    @Override
    public String toString() {
      return "writer: " + beforeMove.get() + " on the source, " + afterMove.get() + " on the target";
    }
  }
}
