package dev.phaseshift.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phaseshift.activities.SeedingActivitiesImpl;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.Queries;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Physical seeding's activities on a real PostgreSQL 18 source and the target host's real tools:
 * PREPARE's checks (the host's and the source-only assessment), a seeding that streams, its retry
 * after a dead attempt, and its undo.
 */
class PhysicalSeedingTest {
  private static PhysicalSeedFixture fixture;
  private static final SeedingActivitiesImpl seeding =
      new SeedingActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine())));
  private static final PostgresEngine engine = new PostgresEngine();

  @BeforeAll
  static void source() throws Exception {
    var missing = PhysicalSeedFixture.unavailable();
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    fixture = PhysicalSeedFixture.start();
    try (Connection c = fixture.sourceDb(); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE app_owner LOGIN PASSWORD 'app-only'");
      s.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, item text NOT NULL, qty int NOT NULL)");
      s.execute("ALTER TABLE orders OWNER TO app_owner");
      s.execute("INSERT INTO orders (item, qty) SELECT 'item ' || g, g FROM generate_series(1, 5000) g");
      s.execute("CREATE VIEW big_orders AS SELECT id, item FROM orders WHERE qty > 100");
      s.execute("CREATE SEQUENCE invoice_no START 1000");
      s.execute("SELECT nextval('invoice_no')");
    }
  }

  @AfterAll
  static void stop() {
    if (fixture != null) fixture.close();
  }

  private static List<String> codes(List<Finding> findings) {
    return findings.stream().filter(f -> f.severity() == Severity.BLOCKER).map(Finding::code).toList();
  }

  @Test
  void hostCheckPassesAFreshHostAndNamesEachBlocker() throws Exception {
    MigrationPlan fine = fixture.plan("host-fine");
    assertEquals(List.of(), codes(seeding.checkSeedingHost(fine)));

    Path used = fixture.host.resolve("host-used");
    Files.createDirectories(used);
    Files.writeString(used.resolve("PG_VERSION"), "18\n");
    List<Finding> notEmpty = seeding.checkSeedingHost(fixture.plan("host-used", PhysicalSeedFixture.freePort(), used));
    assertEquals(List.of("seeding_data_directory_not_empty"), codes(notEmpty));
    assertTrue(notEmpty.get(0).message().contains(used.toString()), notEmpty.get(0).message());
    assertTrue(notEmpty.get(0).message().contains("remove it or choose another"), notEmpty.get(0).message());

    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      MigrationPlan onTakenPort = fixture.plan("host-port", taken.getLocalPort(), fixture.host.resolve("host-port"));
      assertEquals(List.of("seeding_port_taken"), codes(seeding.checkSeedingHost(onTakenPort)));
    }

    MigrationPlan noParent = fixture.plan("host-parent", PhysicalSeedFixture.freePort(),
        fixture.host.resolve("missing").resolve("data"));
    assertEquals(List.of("seeding_parent_missing"), codes(seeding.checkSeedingHost(noParent)));
  }

  @Test
  void assessmentReadsTheSourceAloneAndBlocksWhatPhysicalSeedingCannotCarry() throws Exception {
    // Nothing listens on the plan's target port: the assessment must not try it.
    MigrationPlan plan = fixture.plan("assess");
    Assessment clean = engine.inspector().assess(plan);
    assertEquals(List.of(), clean.blockers());
    assertEquals(clean.source().version(), clean.target().version());
    assertTrue(engine.inspector().identify(plan).target().system().startsWith("seeded-127.0.0.1:"));

    try (Connection c = fixture.sourceDb(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE audit_log (at timestamptz, line text)");
      s.execute("CREATE DATABASE reporting");
      try {
        Assessment blocked = engine.inspector().assess(plan);
        assertTrue(codes(blocked.findings()).containsAll(List.of("no_replica_identity", "seeding_other_databases")),
            blocked.findings().toString());
        assertTrue(blocked.findings().stream().anyMatch(f -> f.message().contains("reporting")
            && f.message().contains("seeding.method: logical")), blocked.findings().toString());
      } finally {
        s.execute("DROP TABLE audit_log");
        s.execute("DROP DATABASE reporting");
      }
    }
  
    // A source that refuses the physical replication connection pg_basebackup needs.
    try (Connection c = fixture.sourceDb(); Statement s = c.createStatement()) {
      Path hba = Path.of(Queries.text(c, "SHOW hba_file"));
      String before = Files.readString(hba);
      Files.writeString(hba, "host replication " + PhysicalSeedFixture.USER + " 127.0.0.1/32 reject\n" + before);
      s.execute("SELECT pg_reload_conf()");
      // The postmaster rereads pg_hba.conf when it gets to the signal.
      Thread.sleep(500);
      try {
        Assessment refused = engine.inspector().assess(plan);
        assertEquals(List.of("seeding_replication_connection"), codes(refused.findings()));
        assertTrue(refused.blockers().get(0).message().contains("pg_hba.conf"), refused.blockers().toString());
      } finally {
        Files.writeString(hba, before);
        s.execute("SELECT pg_reload_conf()");
        Thread.sleep(500);
      }
    }
  }

  @Test
  void seedsAStreamingCopyUnderTheMigrationsNamesWithoutStoringThePassword() throws Exception {
    MigrationPlan plan = fixture.plan("seed-once");
    Path data = Path.of(plan.seedingOrDefault().dataDirectory());
    try {
      long started = System.nanoTime();
      ChangeCapture capture = seeding.seedPhysically(plan);
      System.out.printf("seeded in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      assertEquals(plan.objectName(), capture.stream());
      assertNotNull(capture.start());

      try (Connection t = PhysicalSeedFixture.target(plan); Connection s = fixture.sourceDb()) {
        // Other tests of this class add rows to the same source: compare with it.
        assertEquals(Queries.text(s, "SELECT count(*) FROM orders"), Queries.text(t, "SELECT count(*) FROM orders"));
        assertEquals(Queries.text(s, "SELECT count(*) FROM big_orders"), Queries.text(t, "SELECT count(*) FROM big_orders"));
        assertEquals("1000", Queries.text(t, "SELECT last_value FROM invoice_no"));
        assertEquals("app_owner", Queries.text(t, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"));
        assertEquals(plan.objectName(), Queries.text(t, "SELECT subname FROM pg_subscription"));
        assertEquals(plan.objectName(), Queries.text(s, "SELECT pubname FROM pg_publication"));
        assertEquals("t", Queries.text(t, "SELECT to_regclass('phaseshift.freeze_marker') IS NOT NULL"));

        Queries.exec(s, "INSERT INTO orders (item, qty) VALUES ('after seeding', 7)");
        awaitOn(t, "SELECT count(*) FROM orders WHERE item = 'after seeding'", "1");

        // The password is in no configuration file, catalog or tool output the seeding left.
        assertFalse(Files.readString(data.resolve("postgresql.auto.conf")).contains(PhysicalSeedFixture.PASSWORD));
        String conninfo = Queries.text(t, "SELECT string_agg(subconninfo, ' ') FROM pg_subscription");
        assertTrue(conninfo.contains("passfile="), conninfo);
        assertFalse(conninfo.contains(PhysicalSeedFixture.PASSWORD));
        assertEquals("", Queries.text(t, "SHOW primary_conninfo"));
        assertFalse(Files.exists(new SeedDirectory(plan).passfile()));
        try (Stream<Path> files = Files.list(fixture.host)) {
          for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".out")).toList()) {
            assertFalse(Files.readString(f).contains(PhysicalSeedFixture.PASSWORD), f.toString());
          }
        }
      }

      // Again (a retry after the result was lost): the same anchor, nothing copied anew.
      assertEquals(capture, seeding.seedPhysically(plan));
    } finally {
      seeding.undoPhysicalSeeding(plan);
    }
    assertFalse(Files.exists(data));
    assertNothingOnTheSource(plan);
    // Undo again: nothing left to do, no failure.
    seeding.undoPhysicalSeeding(plan);
  }

  @Test
  void aRetryEndsADeadAttemptsToolsAndStartsOver() throws Exception {
    MigrationPlan plan = fixture.plan("seed-retry");
    SeedDirectory dir = new SeedDirectory(plan);
    Path data = dir.data();
    // What a worker that died in pg_basebackup leaves: its claim, a partial copy, a tool still
    // running (its command line names the data directory) and a publication of the migration's name.
    dir.enter(SeedDirectory.Stage.COPYING);
    Files.createDirectories(data.resolve("base"));
    Files.writeString(data.resolve("base").resolve("partial"), "x".repeat(1000));
    Process orphan = new ProcessBuilder("sh", "-c", "sleep 600", data.toString()).start();
    Files.writeString(dir.pids(), orphan.pid() + " pg_basebackup\n");
    try (Connection s = fixture.sourceDb()) {
      Queries.exec(s, "CREATE PUBLICATION " + plan.objectName() + " FOR TABLE orders");
    }
    try {
      ChangeCapture capture = seeding.seedPhysically(plan);
      assertTrue(orphan.waitFor(10, TimeUnit.SECONDS), "the dead attempt's tool was ended");
      assertFalse(Files.exists(data.resolve("base").resolve("partial")));
      assertEquals(plan.objectName(), capture.stream());
      try (Connection t = PhysicalSeedFixture.target(plan); Connection s = fixture.sourceDb()) {
        Queries.exec(s, "INSERT INTO orders (item, qty) VALUES ('after retry', 8)");
        awaitOn(t, "SELECT count(*) FROM orders WHERE item = 'after retry'", "1");
      }
    } finally {
      orphan.destroyForcibly();
      seeding.undoPhysicalSeeding(plan);
    }
    assertFalse(Files.exists(data));
    assertNothingOnTheSource(plan);
  }

  @Test
  void undoLeavesADirectoryThisMigrationDidNotMake() throws Exception {
    MigrationPlan plan = fixture.plan("seed-foreign");
    Path data = Path.of(plan.seedingOrDefault().dataDirectory());
    Files.createDirectories(data);
    Files.writeString(data.resolve("PG_VERSION"), "18\n");
    seeding.undoPhysicalSeeding(plan);
    assertTrue(Files.exists(data.resolve("PG_VERSION")));
  }

  private static void assertNothingOnTheSource(MigrationPlan plan) throws SQLException {
    try (Connection s = fixture.sourceDb()) {
      assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_publication WHERE pubname = '" + plan.objectName() + "'"));
      assertEquals("0", Queries.text(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
          + plan.objectName() + "'"));
    }
  }

  private static void awaitOn(Connection c, String sql, String expected) throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String seen = null;
    while (System.nanoTime() < deadline) {
      seen = Queries.text(c, sql);
      if (expected.equals(seen)) return;
      Thread.sleep(100);
    }
    assertEquals(expected, seen, sql);
  }
}
