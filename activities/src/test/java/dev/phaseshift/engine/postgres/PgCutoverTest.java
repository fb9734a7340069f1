package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgCutoverTest extends PgPairTest {
  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    MovingWriter.createTables(pairs);
  }

  private static void replicate(MigrationPlan plan) throws Exception {
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    PgTestSupport.replicate(pairs, plan, List.of("orders", "invoices"));
  }

  private static Connection app(boolean target) throws SQLException {
    return MovingWriter.app(pairs, target);
  }

  @Test
  void switchesOverWithoutLosingAnAcknowledgedWrite() throws Exception {
    MigrationPlan plan = pairs.plan("cutover");
    replicate(plan);
    PgCutover cutover = new PgCutover();
    MovingWriter writer = new MovingWriter(pairs, false, "live-");
    writer.start();
    SwitchoverResult result;
    try {
      while (writer.acknowledged.size() < 100) Thread.sleep(10);
      result = cutover.switchover(plan);
      long deadline = System.currentTimeMillis() + 15_000;
      while (writer.afterMove.get() < 20 && System.currentTimeMillis() < deadline) Thread.sleep(10);
    } finally {
      writer.stop = true;
      writer.join();
    }
    System.out.println("switchover: " + result + ", writes acknowledged: " + writer.acknowledged.size()
        + " (on target " + writer.afterMove.get() + ")");
    assertEquals(null, writer.failure.get());
    assertTrue(writer.afterMove.get() >= 20, "the application writes to the target afterwards");
    assertTrue(writer.readOnlyErrors.get() >= 1, "the application saw the source refuse writes");

    assertTrue(result.writeFreezeMillis() > 0 && result.writeFreezeMillis() < 30_000, result.toString());
    assertTrue(result.sessionsTerminated() >= 1, result.toString());
    assertEquals(3, result.sequencesCopied(), result.toString());
    assertTrue(result.finalPosition().label().matches("[0-9A-F]+/[0-9A-F]+"), result.finalPosition().label());

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals("on", text(s, "SHOW default_transaction_read_only"), "new source sessions are read-only");
      assertEquals("false", text(t, "SELECT subenabled::text FROM pg_subscription WHERE subname = '"
          + PgNames.subscription(plan) + "'"));
      for (String seq : List.of("orders_id_seq", "invoices_no_seq", "ticket_no")) {
        long src = count(s, "SELECT last_value FROM " + seq);
        long tgt = count(t, "SELECT last_value FROM " + seq);
        assertTrue(tgt >= src, seq + ": target " + tgt + " < source " + src);
      }
      assertEquals(506, count(t, "SELECT last_value FROM ticket_no"));
      List<String> acked = new ArrayList<>(writer.acknowledged);
      try (PreparedStatement ps = t.prepareStatement("SELECT count(*) FROM orders WHERE ref = ANY (?)")) {
        ps.setArray(1, t.createArrayOf("text", acked.toArray()));
        var rs = ps.executeQuery();
        rs.next();
        assertEquals(acked.size(), rs.getLong(1), "every acknowledged write is on the target");
      }
      assertEquals(1000 + acked.size(), count(t, "SELECT count(*) FROM orders"));
    }

    VerifyResult verify = cutover.verify(plan);
    assertTrue(verify.targetWritable());
    assertEquals(0, verify.sourceWritesAfterSwitch());
    assertEquals(3, verify.sequences().size());
    for (SequenceValue v : verify.sequences()) assertTrue(v.target() >= v.source(), v.toString());
    assertTrue(verify.passed(), verify.toString());

    assertEquals(result, cutover.switchover(plan), "a repeated switchover returns the recorded result");

    List<TableStats> stats = cutover.optimize(plan);
    assertEquals(List.of("public.invoices", "public.orders"), stats.stream().map(TableStats::table).toList());
    try (Connection t = pairs.target()) {
      assertEquals(count(t, "SELECT count(*) FROM orders"), stats.get(1).rows());
      assertTrue(stats.get(1).bytes() > 0);
      assertTrue(count(t, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'orders'"
          + " AND last_analyze IS NOT NULL") == 1);
    }

    cutover.decommission(plan);
    cutover.decommission(plan);
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(0, count(s, "SELECT count(*) FROM pg_replication_slots"));
      assertEquals(0, count(s, "SELECT count(*) FROM pg_publication"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_subscription"));
      assertEquals(0, count(t, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
      assertEquals("on", text(s, "SHOW default_transaction_read_only"), "the old database stays read-only");
    }
  }

  @Test
  void releasesTheFreezeWhenLagDoesNotDrain() throws Exception {
    MigrationPlan plan = PgTestSupport.withMaxFreeze(pairs.plan("cutover-stuck"), "1s");
    replicate(plan);
    String sub = PgNames.subscription(plan);
    try (Connection t = pairs.target(); Connection s = pairs.source()) {
      exec(t, "ALTER SUBSCRIPTION " + sub + " DISABLE");
      while (count(t, "SELECT count(*) FROM pg_stat_subscription WHERE subname = '" + sub + "' AND pid IS NOT NULL") > 0) {
        Thread.sleep(20);
      }
      exec(s, "INSERT INTO orders (ref, amount) VALUES ('late', 1)");
    }
    try (Connection idle = app(false)) {
      long started = System.nanoTime();
      MigrationException e = assertThrows(MigrationException.class, () -> new PgCutover().switchover(plan));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertEquals(FailureTypes.LAG_NOT_DRAINED, e.type());
      assertTrue(e.getMessage().contains("within 1s") && e.getMessage().contains("writes were released"),
          e.getMessage());
      assertTrue(millis >= 1_000 && millis < 10_000, "freeze bounded by maxFreeze: " + millis);
      assertTrue(idle.isClosed() || !idle.isValid(2), "existing sessions were ended");
    }
    try (Connection s = app(false)) {
      assertEquals("off", text(s, "SHOW default_transaction_read_only"));
      exec(s, "INSERT INTO orders (ref, amount) VALUES ('after-release', 1)");
    }
    try (Connection t = pairs.target()) {
      // The bookkeeping schema is brought up to date before the freeze, so it is there; the record is not.
      assertEquals(0, count(t, "SELECT count(*) FROM phaseshift.switchover WHERE migration = '" + plan.name() + "'"),
          "nothing recorded");
    }
    new PgCutover().decommission(plan);
  }

  @Test
  void refusesToFreezeWhenLagIsAboveTheLimit() throws Exception {
    MigrationPlan base = pairs.plan("cutover-lagging");
    MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(), base.tables(),
        base.copyParallelism(), new dev.phaseshift.plan.CutoverPolicy("2s", 0L), base.approvalRequired(),
        base.retention(), base.requestedBy());
    replicate(plan);
    try (Connection t = pairs.target(); Connection s = pairs.source()) {
      exec(t, "ALTER SUBSCRIPTION " + PgNames.subscription(plan) + " DISABLE");
      while (count(t, "SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL") > 0) Thread.sleep(20);
      exec(s, "INSERT INTO orders (ref, amount) VALUES ('behind', 1)");
      // PgReplication.lag measures against the WAL write position, which asynchronous commit
      // (the test servers run with synchronous_commit = off) moves a moment later.
      long deadline = System.currentTimeMillis() + 5_000;
      while (PgReplication.lag(s, PgNames.slot(plan)).bytes() == 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
    }
    MigrationException e = assertThrows(MigrationException.class, () -> new PgCutover().switchover(plan));
    assertEquals(FailureTypes.LAG_NOT_DRAINED, e.type());
    assertTrue(e.getMessage().contains("not frozen"), e.getMessage());
    try (Connection s = pairs.source()) {
      assertEquals("off", text(s, "SHOW default_transaction_read_only"));
    }
    new PgCutover().decommission(plan);
  }
}
