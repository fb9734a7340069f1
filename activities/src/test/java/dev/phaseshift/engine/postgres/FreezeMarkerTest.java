package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write freeze's marker on real servers: it shows on the subscriber only after every commit
 * before it, the freeze uses it in both directions, and migrations without it fall back.
 */
class FreezeMarkerTest extends PgPairTest {
  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    MovingWriter.createTables(pairs);
  }

  /** The way a migration sets the stream up: the publication carries the marker, the target has its table. */
  private static void replicateWithMarker(MigrationPlan plan) throws Exception {
    try (Connection s = pairs.source()) {
      PgPublication.ensure(s, plan, PgNames.publication(plan));
    }
    // After the marker table exists on the source: the schema copy must leave it out.
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(plan);
    copier.createIndexesAndConstraints(plan);
    try (Connection t = pairs.target()) {
      PgBookkeepingSchema.ensure(PgEndpoint.target(plan), t);
    }
    subscribe(plan, 3);
  }

  private static void subscribe(MigrationPlan plan, int tables) throws Exception {
    PgEndpoint source = PgEndpoint.source(plan);
    String sub = PgNames.subscription(plan);
    try (Connection t = pairs.target()) {
      exec(t, "CREATE SUBSCRIPTION " + sub + " CONNECTION 'host=127.0.0.1 port=" + source.port() + " dbname="
          + source.database() + " user=postgres' PUBLICATION " + PgNames.publication(plan));
      long deadline = System.currentTimeMillis() + 60_000;
      while (count(t, "SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
          + " WHERE s.subname = '" + sub + "' AND r.srsubstate = 'r'") < tables) {
        assertTrue(System.currentTimeMillis() < deadline, "subscription did not sync");
        Thread.sleep(50);
      }
    }
  }

  private static Optional<FreezeMarker> find(MigrationPlan plan) {
    try (PgSession s = PgSession.open(PgEndpoint.source(plan)); PgSession t = PgSession.open(PgEndpoint.target(plan))) {
      return FreezeMarker.find(s, t, PgNames.publication(plan), PgNames.subscription(plan), plan.name());
    }
  }

  @Test
  void theMarkerShowsOnlyOnceEveryEarlierCommitIsApplied() throws Exception {
    MigrationPlan plan = pairs.plan("marker-order");
    replicateWithMarker(plan);
    try (Connection s = pairs.source()) {
      List<String> tables = PgInventory.selectedTables(s, plan).stream().map(TableInfo::name).sorted().toList();
      assertEquals(List.of("invoices", "orders"), tables, "the marker table is no application table");
    }
    FreezeMarker marker = find(plan).orElseThrow(() -> new AssertionError("the new stream carries the marker"));
    // A large transaction committed right before the marker: decoding and applying it takes far
    // longer than the marker's own round trip, so a wait that did not respect commit order would
    // come back while the target still lacks most of its rows.
    try (PgSession s = PgSession.open(PgEndpoint.source(plan)); Connection t = pairs.target()) {
      exec(s.connection(), "INSERT INTO orders (ref, amount) SELECT 'bulk-' || g, g FROM generate_series(1, 200000) g",
          "INSERT INTO invoices (order_ref) VALUES ('last-small-commit')");
      FreezeMarker.Written written = marker.write(s);
      assertTrue(marker.awaitApplied(t, written, System.nanoTime() + 120_000_000_000L), "the marker arrives");
      assertEquals(201_000, count(t, "SELECT count(*) FROM orders"), "the large transaction is applied");
      assertEquals(1, count(t, "SELECT count(*) FROM invoices WHERE order_ref = 'last-small-commit'"));
      assertTrue(written.position().matches("[0-9A-F]+/[0-9A-F]+"), written.position());
    }
  }

  @Test
  void theWaitGivesUpAtTheDeadlineWhenNothingIsApplied() throws Exception {
    MigrationPlan plan = PgTestSupport.withMaxFreeze(pairs.plan("marker-stuck"), "1s");
    replicateWithMarker(plan);
    String sub = PgNames.subscription(plan);
    try (Connection t = pairs.target()) {
      exec(t, "ALTER SUBSCRIPTION " + sub + " DISABLE");
      while (count(t, "SELECT count(*) FROM pg_stat_subscription WHERE subname = '" + sub + "' AND pid IS NOT NULL") > 0) {
        Thread.sleep(20);
      }
    }
    long started = System.nanoTime();
    MigrationException e = assertThrows(MigrationException.class, () -> new PgCutover(tools).switchover(plan));
    long millis = (System.nanoTime() - started) / 1_000_000;
    assertEquals(FailureTypes.LAG_NOT_DRAINED, e.type());
    assertTrue(e.getMessage().contains("within 1s") && e.getMessage().contains("writes were released"),
        e.getMessage());
    assertTrue(millis >= 1_000 && millis < 10_000, "freeze bounded by maxFreeze: " + millis);
    try (Connection s = MovingWriter.app(pairs, false); Connection t = pairs.target()) {
      assertEquals("off", text(s, "SHOW default_transaction_read_only"));
      exec(s, "INSERT INTO orders (ref, amount) VALUES ('after-release', 1)");
      assertEquals(0, count(t, "SELECT count(*) FROM phaseshift.freeze_marker"), "the stopped stream applied nothing");
    }
    new PgCutover(tools).decommission(plan);
  }

  @Test
  void aStreamWithoutTheMarkerFallsBackToProgressReports() throws Exception {
    MigrationPlan old = pairs.plan("marker-old");
    PgSchemaCopier copier = new PgSchemaCopier(tools);
    copier.createTables(old);
    copier.createIndexesAndConstraints(old);
    PgTestSupport.replicate(pairs, old, List.of("orders", "invoices"));
    assertTrue(find(old).isEmpty(), "a publication made before the marker has none");

    // The publication gained the marker later, but the subscription never refreshed: the target
    // would not apply its rows, so the freeze must not wait for them.
    try (Connection s = pairs.source()) {
      PgPublication.ensure(s, old, PgNames.publication(old));
      assertEquals(1, count(s, "SELECT count(*) FROM pg_publication_tables WHERE tablename = 'freeze_marker'"));
    }
    try (Connection t = pairs.target()) {
      PgBookkeepingSchema.ensure(PgEndpoint.target(old), t);
    }
    assertTrue(find(old).isEmpty(), "a subscription without the marker table has none");
    SwitchoverResult result = new PgCutover(tools).switchover(old);
    assertTrue(result.writeFreezeMillis() > 0, result.toString());
    try (Connection t = pairs.target()) {
      assertEquals(0, count(t, "SELECT count(*) FROM phaseshift.freeze_marker"), "no marker was waited for");
      assertEquals(1000, count(t, "SELECT count(*) FROM orders"));
    }
  }

  @Test
  void switchesOverAndRollsBackThroughTheMarkerAndCleansUp() throws Exception {
    MigrationPlan plan = pairs.plan("marker-both-ways");
    assertTrue(plan.reverseReplication());
    replicateWithMarker(plan);
    PgCutover cutover = new PgCutover(tools);
    MovingWriter writer = new MovingWriter(pairs, false, "live-");
    writer.start();
    try {
      while (writer.acknowledged.size() < 100) Thread.sleep(10);
      cutover.switchover(plan);
      try (Connection t = pairs.target()) {
        assertEquals(1, count(t, "SELECT count(*) FROM phaseshift.freeze_marker WHERE migration = '" + plan.name()
            + "'"), "the switchover's marker reached the target");
      }
      cutover.startReverseReplication(plan);
      long deadline = System.currentTimeMillis() + 15_000;
      while (writer.afterMove.get() < 50 && System.currentTimeMillis() < deadline) Thread.sleep(10);
      try (PgSession t = PgSession.open(PgEndpoint.target(plan)); PgSession s = PgSession.open(PgEndpoint.source(plan))) {
        assertTrue(FreezeMarker.find(t, s, PgNames.reversePublication(plan), PgNames.reverseSubscription(plan),
            plan.name()).isPresent(), "the reverse stream carries the marker too");
      }
      cutover.rollback(plan);
    } finally {
      writer.stop = true;
      writer.join();
    }
    assertNull(writer.failure.get());
    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      assertEquals(2, count(s, "SELECT count(*) FROM phaseshift.freeze_marker WHERE migration = '" + plan.name() + "'"),
          "the rollback's marker reached the source");
      List<String> acked = new ArrayList<>(writer.acknowledged);
      assertEquals(acked.size(), MovingWriter.present(s, acked), "every acknowledged write is on the source");
      assertEquals(1000 + acked.size(), count(s, "SELECT count(*) FROM orders"), "each write once");
    }
    cutover.decommission(plan);
    try (Connection s = pairs.source()) {
      assertEquals(0, count(s, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"),
          "the source's marker table and schema are gone");
    }
  }

  @Test
  void theSourceKeepsTheMarkerTableWhileAnotherPublicationUsesIt() throws Exception {
    MigrationPlan one = pairs.plan("marker-one");
    MigrationPlan two = pairs.plan("marker-two");
    try (Connection s = pairs.source()) {
      PgPublication.ensure(s, one, PgNames.publication(one));
      PgPublication.ensure(s, two, PgNames.publication(two));
      PgReplication.dropPublication(s, PgNames.publication(one));
      FreezeMarker.dropFromSource(s);
      assertEquals(1, count(s, "SELECT count(*) FROM pg_class WHERE relname = 'freeze_marker'"));
      PgReplication.dropPublication(s, PgNames.publication(two));
      FreezeMarker.dropFromSource(s);
      assertEquals(0, count(s, "SELECT count(*) FROM pg_namespace WHERE nspname = 'phaseshift'"));
    }
  }
}
