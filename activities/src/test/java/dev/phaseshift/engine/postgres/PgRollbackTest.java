package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reverse replication after switchover, rollback under live writes, and decommission after it. */
class PgRollbackTest extends PgPairTest {
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

  private static MigrationPlan withFinalDump(MigrationPlan p, String dir) {
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        p.targetDisposable(), p.reverseReplication(), dir, p.webhookUrl());
  }

  @Test
  void rollsBackUnderWritesWithoutLosingAWriteAcknowledgedOnTheTarget() throws Exception {
    MigrationPlan plan = pairs.plan("rollback");
    assertTrue(plan.reverseReplication(), "reverse replication is the default");
    replicate(plan);
    PgCutover cutover = new PgCutover(tools);
    cutover.switchover(plan);
    cutover.startReverseReplication(plan);
    cutover.startReverseReplication(plan);

    MovingWriter writer = new MovingWriter(pairs, true, "after-switch-");
    writer.start();
    RollbackResult result;
    try {
      long deadline = System.currentTimeMillis() + 20_000;
      while (writer.acknowledged.size() < 200 && System.currentTimeMillis() < deadline) Thread.sleep(10);
      try (Connection s = pairs.source()) {
        // The reverse stream applies into the source while the source refuses application writes.
        assertEquals("on", text(s, "SHOW default_transaction_read_only"));
        while (count(s, "SELECT count(*) FROM orders WHERE ref LIKE 'after-switch-%'") == 0
            && System.currentTimeMillis() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(count(s, "SELECT count(*) FROM orders WHERE ref LIKE 'after-switch-%'") > 0,
            "target writes reach the read-only source");
      }
      result = cutover.rollback(plan);
      deadline = System.currentTimeMillis() + 15_000;
      while (writer.afterMove.get() < 20 && System.currentTimeMillis() < deadline) Thread.sleep(10);
    } finally {
      writer.stop = true;
      writer.join();
    }
    System.out.println("rollback: " + result + ", writes acknowledged: " + writer.acknowledged.size()
        + " (on target " + writer.beforeMove.size() + ", then on source " + writer.afterMove.get() + ")");
    assertNull(writer.failure.get());
    assertTrue(writer.beforeMove.size() >= 200, "the application wrote to the target first");
    assertTrue(writer.afterMove.get() >= 20, "the application writes to the source afterwards");
    assertTrue(writer.readOnlyErrors.get() >= 1, "the application saw the target refuse writes");

    assertTrue(result.writePauseMillis() > 0 && result.writePauseMillis() < 30_000, result.toString());
    assertEquals(3, result.sequencesCopied(), result.toString());
    assertTrue(result.finalPosition().label().matches("[0-9A-F]+/[0-9A-F]+"), result.finalPosition().label());

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      List<String> ackedOnTarget = new ArrayList<>(writer.beforeMove);
      List<String> acked = new ArrayList<>(writer.acknowledged);
      assertEquals(ackedOnTarget.size(), MovingWriter.present(s, ackedOnTarget),
          "every write acknowledged on the target is on the source");
      assertEquals(acked.size(), MovingWriter.present(s, acked), "every acknowledged write is on the source");
      assertEquals(1000 + acked.size(), count(s, "SELECT count(*) FROM orders"), "each write once");

      for (String seq : List.of("orders_id_seq", "invoices_no_seq", "ticket_no")) {
        long src = count(s, "SELECT last_value FROM " + seq);
        long tgt = count(t, "SELECT last_value FROM " + seq);
        assertTrue(src >= tgt, seq + ": source " + src + " < target " + tgt);
      }
      assertEquals("off", text(s, "SHOW default_transaction_read_only"), "the source takes writes again");
      exec(s, "INSERT INTO orders (ref, amount) VALUES ('after-rollback', 1)");
      assertEquals("on", text(t, "SHOW default_transaction_read_only"), "the target stays read-only");
      SQLException refused = assertThrows(SQLException.class,
          () -> exec(t, "INSERT INTO orders (ref, amount) VALUES ('refused', 1)"));
      assertEquals("25006", refused.getSQLState());
      assertEquals("false", text(s, "SELECT subenabled::text FROM pg_subscription WHERE subname = '"
          + PgNames.reverseSubscription(plan) + "'"), "the reverse stream is stopped");
    }

    assertEquals(result, cutover.rollback(plan), "a repeated rollback returns the recorded result");
    cutover.startReverseReplication(plan);
    try (Connection s = pairs.source()) {
      assertEquals("false", text(s, "SELECT subenabled::text FROM pg_subscription WHERE subname = '"
          + PgNames.reverseSubscription(plan) + "'"), "reverse replication is not restarted after a rollback");
    }
    cutover.decommission(plan);
  }


  @Test
  void rollbackNeedsTheReverseStream() throws Exception {
    MigrationPlan plan = pairs.plan("rollback-unstarted");
    replicate(plan);
    PgCutover cutover = new PgCutover(tools);
    cutover.switchover(plan);
    MigrationException e = assertThrows(MigrationException.class, () -> cutover.rollback(plan));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("start reverse replication first"), e.getMessage());
    try (Connection t = pairs.target()) {
      assertEquals("off", text(t, "SHOW default_transaction_read_only"), "the target was not frozen");
    }
    cutover.decommission(plan);
  }

  @Test
  void decommissionDumpsTheOldDatabaseOnceAndDropsEveryReplicationObject(@TempDir Path dumps) throws Exception {
    MigrationPlan plan = withFinalDump(pairs.plan("retired"), dumps.toString());
    replicate(plan);
    try (Connection s = pairs.source()) {
      // Fires for replicated rows too, and shows in what kind of transaction the apply worker runs.
      exec(s, "CREATE FUNCTION mark_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
              + " NEW.order_ref := NEW.order_ref || ' read_only=' || current_setting('transaction_read_only');"
              + " RETURN NEW; END $$",
          "CREATE TRIGGER mark_apply BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION mark_apply()",
          "ALTER TABLE invoices ENABLE ALWAYS TRIGGER mark_apply");
    }
    PgCutover cutover = new PgCutover(tools);
    cutover.switchover(plan);
    cutover.startReverseReplication(plan);
    try (Connection t = pairs.target(); Connection s = pairs.source()) {
      exec(t, "INSERT INTO orders (ref, amount) VALUES ('written-on-target', 1)",
          "INSERT INTO invoices (order_ref) VALUES ('written-on-target')");
      long deadline = System.currentTimeMillis() + 15_000;
      while (count(s, "SELECT count(*) FROM invoices WHERE order_ref LIKE 'written-on-target%'") == 0
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, count(s, "SELECT count(*) FROM orders WHERE ref = 'written-on-target'"));
      // The apply worker's transactions are read-only (the database's default applies to it), and
      // it applies the rows all the same: no override of the freeze is needed for it.
      assertEquals("written-on-target read_only=on",
          text(s, "SELECT order_ref FROM invoices WHERE order_ref LIKE 'written-on-target%'"));
    }

    MigrationPlan missingDir = withFinalDump(plan, dumps.resolve("absent").toString());
    MigrationException e = assertThrows(MigrationException.class, () -> cutover.decommission(missingDir));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("nothing was dropped"),
        e.getMessage());
    try (Connection t = pairs.target()) {
      assertEquals(1, count(t, "SELECT count(*) FROM pg_replication_slots"), "nothing dropped yet");
    }

    cutover.decommission(plan);
    cutover.decommission(plan);
    for (Connection c : new Connection[] {pairs.source(), pairs.target()}) {
      try (c) {
        assertEquals(0, count(c, "SELECT count(*) FROM pg_subscription"));
        assertEquals(0, count(c, "SELECT count(*) FROM pg_replication_slots"));
        assertEquals(0, count(c, "SELECT count(*) FROM pg_publication"));
        assertEquals(0, count(c, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
      }
    }

    List<Path> files;
    try (Stream<Path> list = Files.list(dumps)) {
      files = list.filter(Files::isRegularFile).toList();
    }
    assertEquals(1, files.size(), "one dump, written once: " + files);
    String name = files.get(0).getFileName().toString();
    assertTrue(name.matches("retired-\\d{8}T\\d{6}Z\\.dump"), name);
    PgTools.Installation inst = tools.forServer(150000);
    String listing = tools.run(List.of(inst.pgDump().resolveSibling("pg_restore").toString(), "--list",
        files.get(0).toString()), Map.of(), null).stdout();
    assertTrue(listing.contains("TABLE DATA public orders"), listing);
    assertFalse(listing.contains("SUBSCRIPTION"), "the dump holds no subscription and so no password");
  }
}
