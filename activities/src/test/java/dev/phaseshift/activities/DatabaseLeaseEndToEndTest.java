package dev.phaseshift.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import dev.phaseshift.testing.MigrationRuns;
import dev.phaseshift.testing.PgPair;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One migration per database, with real servers and the real worker registration: a second
 * migration of a source that one holds (under another address), or one that would write into it,
 * is refused in PREPARE naming the holder and changes nothing; the lease is given back when the
 * holder is aborted, and taken over when the holder was terminated without a chance to give it back.
 */
class DatabaseLeaseEndToEndTest {
  static PgPair pairs;
  TestWorkflowEnvironment env;

  @BeforeAll
  static void servers() {
    pairs = new PgPair();
  }

  @AfterAll
  static void stopServers() {
    if (pairs != null) pairs.close();
  }

  @BeforeEach
  void setUp() throws Exception {
    pairs.resetDatabases();
    try (Connection s = pairs.source(); Statement st = s.createStatement()) {
      st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, total numeric(10,2))");
      st.execute("INSERT INTO orders (total) SELECT i FROM generate_series(1, 1000) i");
    }
    try (Connection t = pairs.target.connect("postgres"); Statement st = t.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS other WITH (FORCE)");
      st.execute("CREATE DATABASE other");
    }
    env = MigrationRuns.environment();
  }

  @AfterEach
  void stopTemporal() {
    env.close();
  }

  /** A plan that waits for sign-off before its switchover, so it holds its databases until stopped. */
  private static MigrationPlan plan(String name, Endpoint source, Endpoint target) {
    MigrationPlan p = pairs.plan(name);
    return new MigrationPlan(name, source, target, p.tables(), p.copyParallelism(), p.cutover(), true,
        p.retention(), "alice", new ApprovalPolicy(List.of("bob"), 1, false, null, null), null, null, true,
        null, null, null);
  }

  private static Endpoint sourceApp() {
    return pairs.source.endpoint(PgPair.DATABASE);
  }

  /** The same source database under another address: a host name instead of the address. */
  private static Endpoint sourceAppAlias() {
    Endpoint e = sourceApp();
    return new Endpoint(e.url().replace("127.0.0.1", "localhost"), e.user(), e.password());
  }

  private MigrationWorkflow start(MigrationPlan plan) {
    return MigrationRuns.start(env, plan);
  }

  private static MigrationReport failedReport(MigrationWorkflow workflow, String type) {
    return MigrationRuns.stoppedReport(workflow, type);
  }

  private static long tablesIn(String database) throws Exception {
    try (Connection c = pairs.target.connect(database); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static MigrationStatus waitingForApproval(MigrationWorkflow workflow) throws InterruptedException {
    return MigrationRuns.awaitStatus(workflow, Duration.ofSeconds(90),
        s -> s.phase() == Phase.SWITCHOVER && s.waitingFor().startsWith("approval"));
  }

  @Test
  void aSecondMigrationOfALeasedDatabaseIsRefusedInPrepareUntilTheHolderIsAborted() throws Exception {
    MigrationWorkflow first = start(plan("lease-first", sourceApp(), pairs.target.endpoint(PgPair.DATABASE)));
    waitingForApproval(first);

    // The same source under another address, into another database: refused, naming the holder.
    MigrationReport second = failedReport(
        start(plan("lease-second", sourceAppAlias(), pairs.target.endpoint("other"))), "MigrationFailed");
    assertEquals(Phase.PREPARE, second.failedIn());
    assertTrue(second.error().contains("source database") && second.error().contains("migration lease-first"),
        second.error());
    assertEquals(0, tablesIn("other"), "the refused migration created nothing on its target");
    assertTrue(second.assessment() != null && second.assessment().blockers().isEmpty(),
        "refused for the lease alone, not for a blocker");

    // Writing into the first one's source is refused as well (a table it does not hold yet, so only the lease stops it).
    try (Connection c = pairs.target.connect("other"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE extra (id int PRIMARY KEY)");
    }
    MigrationPlan into = plan("lease-into-source", pairs.target.endpoint("other"), sourceApp());
    into = new MigrationPlan(into.name(), into.source(), into.target(),
        new TableSelection(List.of("public.extra"), List.of()), into.copyParallelism(), into.cutover(),
        into.approvalRequired(), into.retention(), into.requestedBy(), into.approval(), null, null, true, null, null,
        null);
    MigrationReport intoSource = failedReport(start(into), "MigrationFailed");
    assertEquals(Phase.PREPARE, intoSource.failedIn());
    assertTrue(intoSource.error().contains("target database") && intoSource.error().contains("migration lease-first"),
        intoSource.error());

    first.abort(new OperatorRequest("alice", "make room"));
    failedReport(first, "MigrationAborted");

    // Given back with the abort: the same second migration now gets past PREPARE.
    MigrationWorkflow again = start(plan("lease-second", sourceAppAlias(), pairs.target.endpoint("other")));
    waitingForApproval(again);
    again.abort(new OperatorRequest("alice", "done"));
    failedReport(again, "MigrationAborted");
  }

  @Test
  void theLeaseOfATerminatedMigrationIsTakenOver() throws Exception {
    MigrationWorkflow first = start(plan("lease-terminated", sourceApp(), pairs.target.endpoint(PgPair.DATABASE)));
    waitingForApproval(first);
    // Terminated by hand: no code of the run gets to release anything.
    WorkflowStub.fromTyped(first).terminate("test: operator terminates the run");

    MigrationWorkflow next = start(plan("lease-next", sourceAppAlias(), pairs.target.endpoint("other")));
    waitingForApproval(next);
    next.abort(new OperatorRequest("alice", "done"));
    failedReport(next, "MigrationAborted");
  }
}
