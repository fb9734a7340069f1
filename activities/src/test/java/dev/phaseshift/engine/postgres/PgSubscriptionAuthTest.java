package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.ClientAccessTesting.hba;
import static dev.phaseshift.engine.postgres.PgTestSupport.count;
import static dev.phaseshift.engine.postgres.PgTestSupport.exec;
import static dev.phaseshift.engine.postgres.PgTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Severity;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SecretRef;
import dev.phaseshift.plan.SubscriptionAuth;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.FailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions on servers that demand a password of the migration role: with {@code passfile}
 * they stream without holding it, and with {@code stored} it leaves the catalog once they stop;
 * a plain pg_dump of either database, as a superuser, then shows no password.
 */
class PgSubscriptionAuthTest extends PgVersionPairTesting {
  static final String SOURCE_PASSWORD = "src-Pw-4711-kept-out";
  static final String TARGET_PASSWORD = "tgt-Pw-0815-kept-out";
  Path dir;

  @BeforeAll
  void start() throws Exception {
    // A server of a major zonky does not serve runs as nobody when the tests run as root: the
    // passfiles must be reachable by it, as a real server's OS user must reach the named path.
    dir = Files.createTempDirectory("phaseshift-passfile-test-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    StreamTesting.fastFeedback(pair);
    String[] rules = {"local all all trust", "host all migrator 127.0.0.1/32 scram-sha-256",
        "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"};
    hba(pair.source, rules);
    hba(pair.target, rules);
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE ROLE migrator LOGIN SUPERUSER PASSWORD '" + SOURCE_PASSWORD + "'");
      exec(t, "CREATE ROLE migrator LOGIN SUPERUSER PASSWORD '" + TARGET_PASSWORD + "'");
    }
    Files.writeString(dir.resolve("source-password"), SOURCE_PASSWORD);
    Files.writeString(dir.resolve("target-password"), TARGET_PASSWORD);
  }

  @AfterAll
  void deletePassfiles() throws Exception {
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  /** The plan logs in as migrator on both sides, with the passwords from files on the worker. */
  MigrationPlan plan(String name, SubscriptionAuth auth) {
    MigrationPlan p = pair.plan(name);
    Endpoint source = new Endpoint(p.source().url(), "migrator", SecretRef.ofFile(dir.resolve("source-password").toString()));
    Endpoint target = new Endpoint(p.target().url(), "migrator", SecretRef.ofFile(dir.resolve("target-password").toString()));
    MigrationPlan q = new MigrationPlan(name, source, target, new TableSelection(List.of(name + ".*"), List.of()),
        p.copyParallelism(), p.cutover(), p.approvalRequired(), p.retention(), p.requestedBy());
    return ClientAccessTesting.with(q, null, auth);
  }

  @Test
  void withPassfilesBothStreamsRunAndNoDumpOfEitherDatabaseShowsAPassword() throws Exception {
    Path onTarget = dir.resolve("target-host/pgpass");
    Path onSource = dir.resolve("source-host/pgpass");
    MigrationPlan plan = plan("passfile", new SubscriptionAuth(SubscriptionAuth.PASSFILE, onTarget.toString(),
        onSource.toString(), true));
    subscribeBothWays(plan);

    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "INSERT INTO passfile.items VALUES (2, 'streamed')");
      awaitRows(t, "passfile.items", 2);
      // The forward stream logged in with the password from the file: the source demands one.
      assertEquals("streamed", text(t, "SELECT name FROM passfile.items WHERE id = 2"));
      String conninfo = text(t, "SELECT subconninfo FROM pg_subscription WHERE subname = '" + PgNames.subscription(plan) + "'");
      assertTrue(conninfo.contains("passfile="), conninfo);
      assertFalse(conninfo.contains(SOURCE_PASSWORD), conninfo);
      // The reverse one too, on the old database; creating it logged in to the target (which demands
      // the password) with the file, so it works without one in the catalog.
      String reverse = text(s, "SELECT subconninfo FROM pg_subscription WHERE subname = '"
          + PgNames.reverseSubscription(plan) + "'");
      assertTrue(reverse.contains("passfile="), reverse);
      assertFalse(reverse.contains(TARGET_PASSWORD), reverse);
      // Owned by the OS user each server runs as, which reads it (not the worker's user).
      assertEquals(Files.getOwner(Path.of(text(t, "SHOW data_directory"))), Files.getOwner(onTarget));
      assertEquals(Files.getOwner(Path.of(text(s, "SHOW data_directory"))), Files.getOwner(onSource));
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onTarget)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onSource)));
    assertTrue(Files.readString(onTarget).contains(SOURCE_PASSWORD));
    assertTrue(Files.readString(onSource).contains(TARGET_PASSWORD));
    assertNoPasswordInDumps(plan);
  }

  @Test
  void aPasswordFileTheSubscribersServerCannotOpenBlocksPrepareAndTheStreamNamingTheFile() throws Exception {
    String missing = dir.resolve("not-provisioned/pgpass").toString();
    MigrationPlan plan = plan("unread", new SubscriptionAuth(SubscriptionAuth.PASSFILE, missing, missing, false));
    List<Finding> findings = new java.util.ArrayList<>();
    try (Connection t = pair.target()) {
      PgSubscriptionAuth.findings(t, plan, true, findings);
    }
    assertEquals(1, findings.size(), findings.toString());
    assertEquals(Severity.BLOCKER, findings.get(0).severity());
    assertTrue(findings.get(0).message().contains("the server cannot read the password file " + missing),
        findings.get(0).message());
    String message = attachFails(plan);
    assertTrue(message.contains("owned by the OS user the server runs as, mode 0600"), message);
  }

  @Test
  void fromPostgres16ASubscriberRoleThatIsNotASuperuserBlocksPrepareUnlessThePasswordIsStored() throws Exception {
    try (Connection t = pair.target()) {
      exec(t, "CREATE ROLE plain_subscriber LOGIN");
    }
    MigrationPlan passfile = plan("plainsub", new SubscriptionAuth(SubscriptionAuth.PASSFILE,
        dir.resolve("target-host/pgpass").toString(), null, true));
    List<Finding> findings = new java.util.ArrayList<>();
    java.util.Properties as = new java.util.Properties();
    as.setProperty("user", "plain_subscriber");
    try (Connection plain = java.sql.DriverManager.getConnection(pair.target.jdbcUrl(PgPair.DATABASE), as)) {
      PgSubscriptionAuth.findings(plain, passfile, true, findings);
      PgSubscriptionAuth.findings(plain, plan("plainstored", SubscriptionAuth.stored()), true, findings);
    }
    if (majors()[1] >= 16) {
      assertEquals(1, findings.size(), findings.toString());
      assertEquals(Severity.BLOCKER, findings.get(0).severity());
      assertTrue(findings.get(0).message().contains("password_required = false, and only a superuser may set it"),
          findings.get(0).message());
    } else {
      assertEquals(List.of(), findings, "before 16 any subscription owner may go without a password");
    }
  }

  @Test
  void aStoredPasswordLeavesTheCatalogOnceTheSubscriptionNoLongerConnects() throws Exception {
    MigrationPlan plan = plan("stored", SubscriptionAuth.stored());
    subscribeBothWays(plan);
    // The hazard the plan's choice accepts while the streams run.
    assertTrue(dump(PgEndpoint.target(pair.plan("dump"))).contains(SOURCE_PASSWORD));
    assertTrue(dump(PgEndpoint.source(pair.plan("dump"))).contains(TARGET_PASSWORD));

    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(t, "ALTER SUBSCRIPTION " + PgNames.subscription(plan) + " DISABLE");
      PgSubscriptionAuth.forgetPassword(t, plan, PgNames.subscription(plan), PgEndpoint.source(plan));
      exec(s, "ALTER SUBSCRIPTION " + PgNames.reverseSubscription(plan) + " DISABLE");
      PgSubscriptionAuth.forgetPassword(s, plan, PgNames.reverseSubscription(plan), PgEndpoint.target(plan));
    }
    assertNoPasswordInDumps(plan);
  }

  @Test
  void withoutAPasswordTheSourceRefusesTheSubscriptionAndTheStepFailsSayingWhatTheSubscriberNeeds() throws Exception {
    MigrationPlan plan = plan("nopass", new SubscriptionAuth(SubscriptionAuth.NONE, null, null, null));
    String message = attachFails(plan);
    assertTrue(message.contains("each server must admit the other without one"), message);
  }

  /** Attaching the forward stream for a table of the plan's own schema fails as a prerequisite; its message. */
  private String attachFails(MigrationPlan plan) throws Exception {
    String schema = plan.name();
    String ddl = "CREATE TABLE " + schema + ".items (id int PRIMARY KEY, name text)";
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE SCHEMA " + schema, ddl);
      exec(t, "CREATE SCHEMA " + schema, ddl);
    }
    PgChangeStream stream = new PgChangeStream(new SnapshotHolder());
    ChangeCapture capture = stream.start(plan);
    MigrationException e = assertThrows(MigrationException.class, () -> stream.attach(plan, capture));
    assertEquals(FailureTypes.PREREQUISITE, e.type());
    stream.undo(plan);
    return e.getMessage();
  }

  /** The forward stream through the engine, and a reverse subscription as after a switchover. */
  private void subscribeBothWays(MigrationPlan plan) throws Exception {
    String schema = plan.name();
    String ddl = "CREATE TABLE " + schema + ".items (id int PRIMARY KEY, name text)";
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(s, "CREATE SCHEMA " + schema, ddl, "INSERT INTO " + schema + ".items VALUES (1, 'copied')");
      exec(t, "CREATE SCHEMA " + schema, ddl, "INSERT INTO " + schema + ".items VALUES (1, 'copied')");
    }
    PgChangeStream stream = new PgChangeStream(new SnapshotHolder());
    ChangeCapture capture = stream.start(plan);
    stream.attach(plan, capture);
    try (Connection s = pair.source(); Connection t = pair.target()) {
      exec(t, "CREATE PUBLICATION " + PgNames.reversePublication(plan) + " FOR TABLE " + schema + ".items",
          "SELECT pg_create_logical_replication_slot('" + PgNames.reverseSlot(plan) + "', 'pgoutput')");
      PgReplication.subscribe(s, PgEndpoint.source(plan), "the reverse subscription", PgNames.reverseSubscription(plan),
          PgEndpoint.target(plan), PgNames.reversePublication(plan), PgNames.reverseSlot(plan), plan, false);
    }
  }

  private void assertNoPasswordInDumps(MigrationPlan plan) {
    for (PgEndpoint side : List.of(PgEndpoint.source(pair.plan("dump")), PgEndpoint.target(pair.plan("dump")))) {
      String dump = dump(side);
      assertTrue(dump.contains("CREATE SUBSCRIPTION"), "a superuser's plain dump holds the subscriptions");
      assertFalse(dump.contains(SOURCE_PASSWORD) || dump.contains(TARGET_PASSWORD),
          "a dump of " + side + " shows a password");
    }
  }

  private String dump(PgEndpoint side) {
    return tools.pgDump(tools.forServer(Math.max(majors()[0], majors()[1]) * 10000), side, List.of());
  }

  private static void awaitRows(Connection c, String table, long rows) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (count(c, "SELECT count(*) FROM " + table) < rows) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError(table + " did not reach " + rows + " rows");
      Thread.sleep(100);
    }
  }
}
