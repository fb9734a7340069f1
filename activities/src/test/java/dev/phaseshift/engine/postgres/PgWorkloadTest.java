package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.activities.MigrationActivitiesImpl;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.model.ClientProfile;
import dev.phaseshift.model.TopStatement;
import dev.phaseshift.model.TableWorkload;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The workload report on real servers: a source that loads pg_stat_statements takes a known
 * number of inserts, updates, deletes and reads from an application role while the assessment
 * samples it; the report's figures are exactly those, and the client is listed with the
 * target's verdict (the target lacks the role).
 */
class PgWorkloadTest {
  static final String DB = "app";
  static final int INSERTS = 250;
  static final int UPDATES = 40;
  static final int DELETES = 10;
  static final int READS = 7;

  static EmbeddedPostgresServer source;
  static EmbeddedPostgresServer target;

  @BeforeAll
  static void start() throws Exception {
    source = EmbeddedPostgresServer.startWith(Map.of("shared_preload_libraries", "pg_stat_statements"));
    target = EmbeddedPostgresServer.start();
    source.createDatabase(DB);
    target.createDatabase(DB);
    try (Connection c = source.connect(DB); Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION pg_stat_statements");
      s.execute("CREATE ROLE shop_app LOGIN");
      s.execute("CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)");
      s.execute("CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL)");
      s.execute("CREATE TABLE archive (id int PRIMARY KEY)");
      s.execute("INSERT INTO orders SELECT g, repeat('x', 500) FROM generate_series(1, 100) g");
      s.execute("INSERT INTO products SELECT g, 'product ' || g FROM generate_series(1, 20000) g");
      s.execute("GRANT ALL ON orders, products, archive TO shop_app");
      s.execute("ANALYZE");
    }
  }

  @AfterAll
  static void stop() {
    if (source != null) source.close();
    if (target != null) target.close();
  }

  private static MigrationPlan plan(String sample) {
    return new MigrationPlan("workload", source.endpoint(DB), target.endpoint(DB), TableSelection.all(), 2,
        new CutoverPolicy("30s", 16L * 1024 * 1024), true, "1h", "test").withAssessmentSample(sample).withDefaults();
  }

  @Test
  void theReportCountsWhatTheApplicationDidDuringTheSample() throws Exception {
    MigrationActivitiesImpl steps = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())));
    try (Connection app = ClientAccessTesting.client(source, DB, "shop_app", "", "127.0.0.1", "billing-service")) {
      CompletableFuture<WorkloadReport> sampled = CompletableFuture.supplyAsync(
          () -> steps.assessWorkload(plan("6s"), 3_000_000));
      Thread.sleep(1_500);
      applicationWork(app);
      WorkloadReport w = sampled.get(60, TimeUnit.SECONDS);

      assertTrue(w.sampleMillis() >= 6_000 && w.sampleMillis() < 8_000, "sampled for " + w.sampleMillis() + " ms");
      TableWorkload orders = table(w, "public.orders");
      assertEquals(INSERTS, orders.inserts(), orders.toString());
      assertEquals(UPDATES, orders.updates(), orders.toString());
      assertEquals(DELETES, orders.deletes(), orders.toString());
      assertEquals((INSERTS + UPDATES + DELETES) * 60_000.0 / w.sampleMillis(), orders.changesPerMinute(w.sampleMillis()),
          0.001);
      assertTrue(orders.growthBytes() > 0, "250 rows of 500 bytes grow the table: " + orders);
      TableWorkload products = table(w, "public.products");
      assertEquals(0, products.writes(), products.toString());
      assertTrue(products.scans() >= READS && products.rowsRead() >= READS * 20_000L, products.toString());
      assertEquals("public.orders", w.tables().get(0).table(), "the busiest table first");
      assertEquals(0, table(w, "public.archive").scans() + table(w, "public.archive").writes());
      assertTrue(w.changeLogBytes() > INSERTS * 500L, "write-ahead log of at least the inserted text: " + w.changeLogBytes());
      assertTrue(w.databaseGrowthBytes() > 0 && w.growthBytesPerHour() > w.databaseGrowthBytes(), w.toString());

      assertNotNull(w.statements(), w.statementsNote());
      TopStatement insert = w.statements().stream().filter(s -> s.statement().startsWith("INSERT INTO orders"))
          .findFirst().orElseThrow(() -> new AssertionError("no insert among " + w.statements()));
      assertEquals(INSERTS, insert.calls());
      assertTrue(w.statements().stream().noneMatch(s -> s.statement().contains("pg_stat_user_tables")),
          "the assessment's own statements are left out: " + w.statements());

      ClientProfile billing = w.clients().stream().filter(c -> c.application().equals("billing-service")).findFirst()
          .orElseThrow(() -> new AssertionError("no billing-service among " + w.clients()));
      assertEquals("shop_app", billing.user());
      assertEquals("127.0.0.1", billing.address());
      assertNull(billing.tls(), "no TLS on the loopback");
      assertFalse(billing.admitted(), "the target has no role shop_app: " + billing);
      assertTrue(billing.access().contains("shop_app"), billing.access());

      assertTrue(w.readBytesPerSecond() > 0, "a test read measured the source");
      assertFalse(w.forecast().fromRehearsal());
      assertTrue(w.forecast().basis().startsWith("no rehearsal of workload found"), w.forecast().basis());
      assertTrue(w.forecast().copyMillis() >= 0 && w.forecast().freezeMillis() >= 0, w.forecast().toString());
      assertEquals("any time (the plan names no maintenance window)", w.nextFittingWindow());
      assertTrue(w.warnings().stream().anyMatch(f -> f.code().equals("no_rehearsal")), w.warnings().toString());
    }
  }

  @Test
  void withoutTheExtensionTheReportSaysHowToGetStatements() throws Exception {
    try (Connection c = target.connect(DB); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY)");
    }
    MigrationPlan reversed = new MigrationPlan("plain", target.endpoint(DB), source.endpoint(DB), TableSelection.all(),
        2, new CutoverPolicy("30s", 16L * 1024 * 1024), true, "1h", "test").withAssessmentSample("0s").withDefaults();
    WorkloadReport w = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())))
        .assessWorkload(reversed, 0);

    assertEquals(0, w.sampleMillis());
    assertNull(w.statements());
    assertTrue(w.statementsNote().contains("shared_preload_libraries"), w.statementsNote());
  }

  private static void applicationWork(Connection app) throws Exception {
    try (PreparedStatement insert = app.prepareStatement("INSERT INTO orders VALUES (?, repeat('y', 500))")) {
      for (int i = 0; i < INSERTS; i++) {
        insert.setInt(1, 1_000 + i);
        insert.executeUpdate();
      }
    }
    try (Statement s = app.createStatement()) {
      for (int i = 0; i < UPDATES; i++) s.executeUpdate("UPDATE orders SET note = 'z' WHERE id = " + (i + 1));
      for (int i = 0; i < DELETES; i++) s.executeUpdate("DELETE FROM orders WHERE id = " + (50 + i));
      for (int i = 0; i < READS; i++) s.executeQuery("SELECT count(*) FROM products WHERE name LIKE 'product%'").close();
      // The session's counters reach the shared statistics at its next idle moment.
      s.execute("SELECT pg_stat_force_next_flush()");
      s.execute("SELECT 1");
    }
  }

  private static TableWorkload table(WorkloadReport w, String name) {
    return w.tables().stream().filter(t -> t.table().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(name + " not among " + w.tables()));
  }
}
