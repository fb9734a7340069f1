package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker processes copy one large table; the one that created the slot and holds the exported
 * snapshot is killed with {@code kill -9} in the middle of the copy. The other worker holds a
 * replica of the snapshot, so the copy goes on under the same snapshot: no ResetCopy, the chunks
 * the killed worker committed are kept, and validation finds both sides identical. Prints how
 * much was kept and how long the copy took after the kill (docs/scale-out.md).
 */
class SnapshotWorkerKilledEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  private static final int MEGABYTES = Integer.getInteger("phaseshift.bigTableMb", 300);
  private static final Set<Phase> VALIDATED = EnumSet.of(Phase.SWITCHOVER, Phase.VERIFY, Phase.RECOVERY, Phase.COMPLETED);

  @TempDir static Path dir;

  @Test
  void killingTheSnapshotsWorkerMidCopyKeepsTheCopyGoing() throws Exception {
    List<Process> workers = new ArrayList<>();
    try (PgPair pg = new PgPair()) {
      long rows = MEGABYTES * 7_000L;
      try (Connection c = pg.source(); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE big (id bigint PRIMARY KEY, account int NOT NULL, note text NOT NULL)");
        s.execute("INSERT INTO big SELECT g, g % 10007, repeat(md5(g::text), 3) FROM generate_series(1, " + rows + ") g");
        s.execute("ANALYZE big");
      }
      for (int i = 1; i <= 2; i++) workers.add(WorkerMain.start(temporal.address(), dir.resolve("worker-" + i + ".log")));
      MigrationPlan base = pg.plan("snapshot-killed");
      // The manual router waits for the operator after validation: the test ends there.
      MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(), base.tables(),
          base.copyParallelism(), base.cutover(), false, "1h", "test").withDefaults();
      MigrationWorkflow workflow = ShopRig.startMigration(temporal.client(), plan);
      try {
        awaitCount(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%:replica'", 60_000,
            "a replica of the snapshot held by the other worker");
        awaitCount(pg, "SELECT count(*) FROM phaseshift.copy_chunk", 120_000, "the first committed chunks", true);
        long port = count(pg, false, "SELECT client_port FROM pg_stat_activity WHERE application_name LIKE '%:snapshot'");
        int holder = ownsPort(workers.get(0).pid(), port) ? 0 : 1;
        assertTrue(ownsPort(workers.get(holder).pid(), port), "one worker holds the snapshot's session");
        Set<String> committedBefore = ledger(pg);
        long keptBefore = committedBefore.size();
        long killedAt = System.currentTimeMillis();
        workers.get(holder).destroyForcibly().waitFor();

        MigrationStatus validated = ShopRig.await(workflow, s -> VALIDATED.contains(s.phase())
            || s.phase() == Phase.FAILED, "validation after the kill", 600_000, null);
        long afterKill = System.currentTimeMillis() - killedAt;
        assertTrue(validated.validation() != null && validated.validation().passed(), validated.toString());
        TableCopyResult copy = validated.copies().get(0);
        assertEquals(rows, copy.rows());
        long resets = temporal.client().fetchHistory(plan.workflowId()).getHistory().getEventsList().stream()
            .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
            .map(HistoryEvent::getActivityTaskScheduledEventAttributes)
            .filter(a -> a.getActivityType().getName().equals("ResetCopy")).count();
        assertEquals(0, resets, "the copy did not start over");
        Set<String> committedAfter = ledger(pg);
        assertTrue(committedAfter.containsAll(committedBefore),
            "every chunk committed before the kill is still there, under the same snapshot: " + committedAfter);
        assertEquals(copy.chunks(), committedAfter.size(), "every chunk committed once");
        System.out.printf("%d MiB table, %d chunks; worker %d (the snapshot's) killed with %d chunks committed;"
                + " all kept, %d copied after the kill under the replica (%d resumed by retried slices),"
                + " validation passed %d ms after the kill%n",
            MEGABYTES, copy.chunks(), holder + 1, keptBefore, copy.chunks() - keptBefore, copy.resumedChunks(),
            afterKill);
      } finally {
        WorkflowStub.fromTyped(workflow).terminate("test over");
        workers.forEach(Process::destroyForcibly);
      }
    }
  }

  /** The chunks the target's ledger holds, each with the snapshot it was copied under. */
  private static Set<String> ledger(PgPair pg) throws Exception {
    Set<String> chunks = new java.util.HashSet<>();
    try (Connection c = pg.target(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT table_name || '#' || chunk || '@' || snapshot FROM phaseshift.copy_chunk")) {
      while (rs.next()) chunks.add(rs.getString(1));
    }
    return chunks;
  }

  /**
   * Whether process {@code pid} has the TCP socket whose local port is {@code port}: the slot's
   * session is the worker's connection from that port, and /proc maps its socket to the process.
   */
  private static boolean ownsPort(long pid, long port) throws Exception {
    Set<String> inodes = new java.util.HashSet<>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        String link = Files.readSymbolicLink(fd).toString();
        if (link.startsWith("socket:[")) inodes.add(link.substring(8, link.length() - 1));
      }
    }
    String hexPort = String.format(":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9 && f[1].endsWith(hexPort) && inodes.contains(f[9])) return true;
      }
    }
    return false;
  }

  private static void awaitCount(PgPair pg, String sql, long millis, String what) throws Exception {
    awaitCount(pg, sql, millis, what, false);
  }

  private static void awaitCount(PgPair pg, String sql, long millis, String what, boolean onTarget) throws Exception {
    long deadline = System.currentTimeMillis() + millis;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (count(pg, onTarget, sql) > 0) return;
      } catch (java.sql.SQLException notYet) {
        // The bookkeeping does not exist yet.
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + what + " within " + millis + " ms");
  }

  private static long count(PgPair pg, boolean onTarget, String sql) throws Exception {
    try (Connection c = onTarget ? pg.target() : pg.source(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
