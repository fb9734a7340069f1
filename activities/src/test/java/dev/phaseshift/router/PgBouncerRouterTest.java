package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.activities.MigrationActivitiesImpl;
import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.engine.postgres.PgNames;
import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.plan.SecretRef;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.testing.ShopLoad;
import dev.phaseshift.workflow.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PgBouncer router against a real PgBouncer in front of two real PostgreSQL servers, with
 * pgbench running through PgBouncer during the switchover.
 */
class PgBouncerRouterTest {
  private static final List<String> PGBENCH_TABLES =
      List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history");
  private static final String SECRET = "s3cret-never-shown";

  static PgPair pairs;
  static PgTools tools;
  static Path pgbench;

  @TempDir Path dir;
  PgBouncerProcess bouncer;

  @BeforeAll
  static void start() {
    PgBouncerProcess.binary();
    pgbench = pgbench();
    pairs = new PgPair();
    tools = PgTools.detect();
  }

  @AfterAll
  static void stop() {
    if (pairs != null) pairs.close();
  }

  @BeforeEach
  void reset() throws Exception {
    pairs.resetDatabases();
  }

  @AfterEach
  void stopBouncer() throws Exception {
    if (bouncer != null) bouncer.close();
  }

  /** The shop load's pgbench, for this test's own pgbench runs. */
  static Path pgbench() {
    return ShopLoad.pgbench();
  }

  private void startBouncer(String poolMode) throws Exception {
    bouncer = PgBouncerProcess.start(dir, poolMode,
        "; the application's entry, rewritten by the router",
        "app = host=127.0.0.1 port=" + pairs.source.port() + " dbname=" + PgPair.DATABASE + " pool_size=6",
        "other = host=127.0.0.1 port=" + pairs.source.port() + " dbname=postgres");
  }

  /** The pair's plan with the router pointing at this test's PgBouncer. */
  private MigrationPlan plan(String name, SecretRef password) {
    MigrationPlan p = pairs.plan(name);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(),
        new RouterConfig(RouterConfig.PGBOUNCER, bouncer.adminUrl(), "postgres", password, PgPair.DATABASE,
            bouncer.ini.toString()),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl());
  }

  private Connection viaBouncer() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("ApplicationName", "shop-api");
    return DriverManager.getConnection(bouncer.jdbcUrl(PgPair.DATABASE), p);
  }


  /** Which PostgreSQL server a fresh query through PgBouncer reaches. */
  private int serverPortBehindBouncer() throws SQLException {
    try (Connection c = viaBouncer()) {
      return (int) number(c, "SELECT inet_server_port()");
    }
  }

  private String paused() {
    return bouncer.paused(tools, PgPair.DATABASE);
  }

  private static long number(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void exec(Connection c, String... sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String statement : sql) s.execute(statement);
    }
  }

  private static Map<String, String> libpq(int port) {
    return Map.of("PGHOST", "127.0.0.1", "PGPORT", Integer.toString(port), "PGUSER", "postgres",
        "PGDATABASE", PgPair.DATABASE);
  }

  /**
   * pgbench tables on the source, the same (empty) tables on the target, and native logical
   * replication between them under the plan's names, as the migration leaves it before switchover.
   */
  private void pgbenchReplicated(MigrationPlan plan) throws Exception {
    tools.run(List.of(pgbench.toString(), "-i", "-s", "1", "-q"), libpq(pairs.source.port()), null);
    PgTools.Installation inst = tools.forServer(150000);
    String schema = tools.pgDump(inst, PgEndpoint.source(plan), List.of("--schema-only", "--no-owner",
        "--no-privileges", "--no-publications", "--no-subscriptions"));
    tools.psqlScript(inst, PgEndpoint.target(plan), schema);
    pairs.replicate(PgNames.publication(plan), PgNames.subscription(plan), PGBENCH_TABLES);
  }

  /** pgbench through PgBouncer, its output collected as it runs. */
  private CollectedProcess pgbenchThroughBouncer(int seconds) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(pgbench.toString(), "-h", "127.0.0.1", "-p", Integer.toString(bouncer.port),
        "-U", "postgres", "-c", "4", "-j", "2", "-T", Integer.toString(seconds), "-R", "200", "-M", "simple", "-n",
        PgPair.DATABASE);
    pb.environment().put("LC_MESSAGES", "C");
    pb.redirectErrorStream(true);
    return new CollectedProcess(pb);
  }

  private static long figure(String output, String pattern) {
    Matcher m = Pattern.compile(pattern).matcher(output);
    assertTrue(m.find(), "pgbench output lacks /" + pattern + "/:\n" + output);
    return Long.parseLong(m.group(1));
  }

  @Test
  void switchesOverUnderPgbenchWithoutAFailedTransaction() throws Exception {
    startBouncer("transaction");
    MigrationPlan plan = plan("bouncer-switch", null);
    pgbenchReplicated(plan);
    assertEquals(pairs.source.port(), serverPortBehindBouncer());

    CollectedProcess bench = pgbenchThroughBouncer(7);
    long historyOnSourceAtSwitch;
    SwitchoverResult result;
    try (Connection s = pairs.source()) {
      // Let the load run on the source first, so the switch happens under traffic.
      long deadline = System.currentTimeMillis() + 10_000;
      while (number(s, "SELECT count(*) FROM pgbench_history") < 200 && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
    }
    assertTrue(bench.process.isAlive(), "pgbench ended early:\n" + bench.outputSoFar());
    // The activity itself, with the real engine: hold, switchover, release(TARGET). The switchover
    // ends every session on the source, so counts afterwards use new connections.
    result = new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine()))).switchover(plan);
    try (Connection s = pairs.source()) {
      historyOnSourceAtSwitch = number(s, "SELECT count(*) FROM pgbench_history");
    }
    String out = bench.finish(60);
    int exit = bench.process.exitValue();
    System.out.println("switchover through PgBouncer: " + result + "\npgbench:\n" + out);

    assertEquals(0, exit, "pgbench exit code:\n" + out + "\nPgBouncer log:\n" + bouncer.log());
    assertEquals(0, figure(out, "number of failed transactions: (\\d+)"), out);
    long processed = figure(out, "number of transactions actually processed: (\\d+)");
    assertTrue(processed > 500, "pgbench processed " + processed);

    assertNotNull(result.routerPauseMillis(), "PgBouncer switches connections, so the pause is measured");
    assertTrue(result.routerPauseMillis() > 0, result.toString());
    assertTrue(result.routerPauseMillis() >= result.writeFreezeMillis(), "the hold covers the write freeze: " + result);
    assertTrue(result.routerPauseMillis() < 30_000, result.toString());

    try (Connection s = pairs.source(); Connection t = pairs.target()) {
      long onTarget = number(t, "SELECT count(*) FROM pgbench_history");
      // The target holds the replicated history up to the switch plus everything after it.
      assertTrue(onTarget > historyOnSourceAtSwitch + 100,
          "pgbench's writes land on the target after the switch: " + historyOnSourceAtSwitch + " -> " + onTarget);
      assertEquals(historyOnSourceAtSwitch, number(s, "SELECT count(*) FROM pgbench_history"),
          "nothing is written to the source after the switch");
      try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery("SHOW default_transaction_read_only")) {
        rs.next();
        assertEquals("on", rs.getString(1), "the source stays read-only");
      }
      // Each pgbench transaction inserts one history row: none acknowledged was lost on the way.
      assertEquals(processed, onTarget, "every transaction pgbench counted is on the target");
    }
    assertEquals(pairs.target.port(), serverPortBehindBouncer());
    assertEquals("0", paused());
    String ini = Files.readString(bouncer.ini);
    assertTrue(ini.contains("app = host=127.0.0.1 port=" + pairs.target.port() + " dbname=app pool_size=6\n"), ini);
    assertTrue(ini.contains("other = host=127.0.0.1 port=" + pairs.source.port() + " dbname=postgres\n"),
        "other entries are left alone:\n" + ini);
  }

  @Test
  void failedSwitchReleasesTrafficBackToTheSource() throws Exception {
    startBouncer("transaction");
    // No replication was set up, so switchover fails before it freezes anything.
    MigrationPlan plan = plan("bouncer-failed", null);
    try (Connection s = pairs.source()) {
      exec(s, "CREATE TABLE orders (id int PRIMARY KEY)");
    }
    String before = Files.readString(bouncer.ini);
    ApplicationFailure e = assertThrows(ApplicationFailure.class,
        () -> new MigrationActivitiesImpl(new EngineRegistry(List.of(new PostgresEngine()))).switchover(plan));
    assertEquals(FailureTypes.PREREQUISITE, e.getType(), e.getMessage());

    assertEquals("0", paused(), "traffic is released after the failed switch");
    assertEquals(before, Files.readString(bouncer.ini), "the entry still points at the source");
    assertEquals(pairs.source.port(), serverPortBehindBouncer());
    try (Connection app = viaBouncer()) {
      exec(app, "INSERT INTO orders VALUES (1)");
    }
    try (Connection s = pairs.source()) {
      assertEquals(1, number(s, "SELECT count(*) FROM orders"), "writes through PgBouncer reach the source");
    }
  }

  @Test
  void holdQueuesQueriesAndReleaseIsIdempotent() throws Exception {
    startBouncer("transaction");
    MigrationPlan plan = plan("bouncer-idempotent", null);
    PgBouncerRouter router = new PgBouncerRouter();
    String before = Files.readString(bouncer.ini);

    router.hold(plan);
    router.hold(plan);
    assertEquals("1", paused());
    // A client that connects during the hold waits instead of failing, and goes to the target.
    long[] port = {0};
    Throwable[] failure = {null};
    Thread client = new Thread(() -> {
      try {
        port[0] = serverPortBehindBouncer();
      } catch (Throwable t) {
        failure[0] = t;
      }
    });
    client.start();
    client.join(700);
    assertTrue(client.isAlive(), "the query waits while traffic is held");

    router.release(plan, Router.Side.TARGET);
    client.join(10_000);
    assertEquals(null, failure[0]);
    assertEquals(pairs.target.port(), port[0], "the held query ran on the target");
    String afterFirst = Files.readString(bouncer.ini);

    router.release(plan, Router.Side.TARGET);
    assertEquals(afterFirst, Files.readString(bouncer.ini), "a repeated release changes nothing");
    assertEquals("0", paused());
    assertEquals(pairs.target.port(), serverPortBehindBouncer());

    List<String> beforeLines = before.lines().toList();
    List<String> afterLines = afterFirst.lines().toList();
    assertEquals(beforeLines.size(), afterLines.size());
    for (int i = 0; i < beforeLines.size(); i++) {
      if (beforeLines.get(i).startsWith("app =")) {
        assertEquals("app = host=127.0.0.1 port=" + pairs.target.port() + " dbname=app pool_size=6", afterLines.get(i));
      } else {
        assertEquals(beforeLines.get(i), afterLines.get(i), "line " + (i + 1) + " is untouched");
      }
    }

    router.release(plan, Router.Side.SOURCE);
    assertEquals(before, Files.readString(bouncer.ini), "back to the original file");
    assertEquals(pairs.source.port(), serverPortBehindBouncer());
    assertTrue(router.switchesConnections());
  }

  @Test
  void sessionPoolingIsRefusedWithoutHoldingTraffic() throws Exception {
    startBouncer("session");
    Path secret = dir.resolve("router-password");
    Files.writeString(secret, SECRET + "\n");
    MigrationPlan plan = plan("bouncer-session", SecretRef.ofFile(secret.toString()));
    MigrationException e = assertThrows(MigrationException.class, () -> new PgBouncerRouter().hold(plan));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    assertTrue(e.getMessage().contains("session pooling") && e.getMessage().contains("pool_mode = transaction"),
        e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), "the password never appears in messages");
    assertEquals("0", paused(), "nothing was paused");
    assertEquals(pairs.source.port(), serverPortBehindBouncer());
  }

  @Test
  void unknownEntryIsAPrerequisiteNamingTheFix() throws Exception {
    startBouncer("transaction");
    MigrationPlan base = plan("bouncer-unknown", null);
    RouterConfig r = base.router();
    MigrationPlan plan = new MigrationPlan(base.name(), base.source(), base.target(), base.tables(),
        base.copyParallelism(), base.cutover(), base.approvalRequired(), base.retention(), base.requestedBy(),
        base.approval(), base.maintenanceWindows(),
        new RouterConfig(r.type(), r.adminUrl(), r.user(), r.password(), "shop", r.configFile()),
        base.targetDisposable(), base.reverseReplication(), base.finalDumpDirectory(), base.webhookUrl());
    MigrationException hold = assertThrows(MigrationException.class, () -> new PgBouncerRouter().hold(plan));
    assertEquals(FailureTypes.PREREQUISITE, hold.type());
    assertTrue(hold.getMessage().contains("no database entry 'shop'"), hold.getMessage());
    String before = Files.readString(bouncer.ini);
    MigrationException release = assertThrows(MigrationException.class,
        () -> new PgBouncerRouter().release(plan, Router.Side.TARGET));
    assertTrue(release.getMessage().contains("no entry 'shop' in the [databases] section"), release.getMessage());
    assertEquals(before, Files.readString(bouncer.ini));
  }
}
