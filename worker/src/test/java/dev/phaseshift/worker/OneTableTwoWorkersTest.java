package dev.phaseshift.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phaseshift.activities.MigrationMetrics;
import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.TaskQueues;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.worker.WorkerFactory;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * One large table, the whole database, copied by two worker processes (two factories, each with
 * its own metrics, as two containers would have) polling one task queue of a real Temporal
 * server. Each may run one activity at a time, so the table's slices, scheduled together, go to
 * both: each worker's own chunk counter must show a share, the shares must add up to the table's
 * chunks, and the migration's validation must find both sides identical.
 *
 * <p>The build copies 200 MiB; {@code -Pbig-table} (worker module) copies 1.5 GiB.
 */
class OneTableTwoWorkersTest {
  private static final int MEGABYTES = Integer.getInteger("phaseshift.bigTableMb", 200);

  @Test
  void bothWorkersCopyChunksOfTheOneTableAndBothSidesEndIdentical() throws Exception {
    Run run = migrate(2, 1);
    assertThat(run.chunks[0]).as("worker A copied chunks").isPositive();
    assertThat(run.chunks[1]).as("worker B copied chunks").isPositive();
    assertThat(run.chunks[0] + run.chunks[1]).isEqualTo(run.copy.chunks() - run.copy.resumedChunks());
    assertThat(run.rows[0] + run.rows[1]).isEqualTo(run.copy.rows());
  }

  /** The comparison for docs/: the same copy on one worker with the default number of activity slots. */
  @Test
  @EnabledIfSystemProperty(named = "phaseshift.bench", matches = "true", disabledReason = "a benchmark: -Dphaseshift.bench=true")
  void oneWorkerCopiesTheTableAloneForComparison() throws Exception {
    Run run = migrate(1, PhaseshiftWorkers.DEFAULT_MAX_CONCURRENT_ACTIVITIES);
    assertThat(run.chunks[0]).isEqualTo(run.copy.chunks() - run.copy.resumedChunks());
  }

  private record Run(TableCopyResult copy, double[] chunks, double[] rows) {}

  private static Run migrate(int workers, int slots) throws Exception {
    try (PgPair pg = new PgPair(); DevServer temporal = DevServer.start()) {
      long rows = createBigTable(pg, MEGABYTES);
      SimpleMeterRegistry[] metrics = new SimpleMeterRegistry[workers];
      WorkerFactory[] factories = new WorkerFactory[workers];
      for (int i = 0; i < workers; i++) {
        metrics[i] = new SimpleMeterRegistry();
        factories[i] = WorkerFactory.newInstance(temporal.client);
        PhaseshiftWorkers.register(factories[i], TaskQueues.MIGRATIONS, metrics[i], slots);
        factories[i].start();
      }
      long cpuBefore = cpuNanos(pg);
      long started = System.nanoTime();
      MigrationReport report;
      try {
        report = TestMigrations.migrate(temporal.client, pg, "one-table", () -> {}, 120 + MEGABYTES);
      } finally {
        for (WorkerFactory f : factories) f.shutdown();
        for (WorkerFactory f : factories) f.awaitTermination(10, TimeUnit.SECONDS);
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      assertThat(report.outcome()).isEqualTo("COMPLETED");
      assertThat(report.validation().passed()).isTrue();
      assertThat(report.copies()).hasSize(1);
      TableCopyResult copy = report.copies().get(0);
      assertThat(copy.rows()).isEqualTo(rows);
      try (Connection t = pg.target()) {
        assertThat(TestMigrations.count(t, "big")).isEqualTo(rows);
      }
      double[] chunks = new double[workers];
      double[] copied = new double[workers];
      for (int i = 0; i < workers; i++) {
        chunks[i] = sum(metrics[i], MigrationMetrics.CHUNKS_COPIED);
        copied[i] = sum(metrics[i], MigrationMetrics.ROWS_COPIED);
      }
      System.out.printf("%d MiB table, %d rows, %d worker(s) of %d slot(s): %d chunks in %d copy activities;"
              + " chunks per worker %s; copy %d ms, whole migration %d ms, %.1f CPU-seconds (JVM and both servers)%n",
          MEGABYTES, rows, workers, slots, copy.chunks(), report.copyTotals().activities(),
          java.util.Arrays.toString(chunks), copy.millis(), millis, (cpuNanos(pg) - cpuBefore) / 1e9);
      return new Run(copy, chunks, copied);
    }
  }

  /** A table of about {@code megabytes} MiB on disk, the source database's only one. */
  static long createBigTable(PgPair pg, int megabytes) throws Exception {
    // About 150 bytes per row on disk: a bigint, an int, a timestamp and a 96-character text.
    long rows = megabytes * 7_000L;
    try (Connection c = pg.source(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE big (id bigint PRIMARY KEY, account int NOT NULL, at timestamptz NOT NULL,"
          + " note text NOT NULL)");
      s.execute("INSERT INTO big SELECT g, g % 10007, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second',"
          + " repeat(md5(g::text), 3) FROM generate_series(1, " + rows + ") g");
      s.execute("ANALYZE big");
    }
    return rows;
  }

  private static double sum(SimpleMeterRegistry registry, String counter) {
    return registry.find(counter).counters().stream().mapToDouble(Counter::count).sum();
  }

  /**
   * CPU time of this JVM (the workers) and of both servers' processes so far: the servers' backends
   * are children of their postmasters, whose CPU time counts once they exit, so this reads each
   * server's live processes from /proc too.
   */
  private static long cpuNanos(PgPair pg) throws Exception {
    long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    return jvm + ServerCpu.nanos(pg.source()) + ServerCpu.nanos(pg.target());
  }
}
