package dev.phaseshift.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.testing.InProcessWorker;
import dev.phaseshift.testing.PhaseshiftProcess;
import dev.phaseshift.testing.PhaseshiftProcess.Run;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.FleetWorkflow;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of 22 small databases on two source servers, moved to two target servers by two workers
 * through a real Temporal dev server, in three waves with a canary, under a light write load. One
 * database's target cannot be reached: the fleet stops after that wave, an operator skips it with
 * the CLI (as a process), and the fleet completes. Every other database ends identical, with every
 * committed write on its target, and the fleet's history stays small.
 */
class FleetEndToEndTest {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final String FLEET = "e2e";
  static final String PLANTED = "d0-2";
  /** Events of the fleet's own history per database: a start, a reading now and then, an end. */
  static final int EVENTS_PER_DATABASE = 40;

  static final List<EmbeddedPostgresServer> servers = new ArrayList<>();
  static final List<FleetWrites.App> apps = new ArrayList<>();
  static InProcessWorker first;
  static InProcessWorker second;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    for (int i = 0; i < 4; i++) servers.add(EmbeddedPostgresServer.start());
    for (int s = 0; s < 2; s++) {
      EmbeddedPostgresServer source = servers.get(s);
      EmbeddedPostgresServer target = servers.get(s + 2);
      for (int d = 0; d < 11; d++) {
        String db = "d" + s + "_" + d;
        source.createDatabase(db);
        target.createDatabase(db);
        try (Connection c = source.connect(db); Statement st = c.createStatement()) {
          st.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
          st.execute("INSERT INTO items SELECT g, 'item ' || g || ' of " + db + "' FROM generate_series(1, 200) g");
          st.execute("CREATE TABLE writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
        }
        apps.add(new FleetWrites.App("d" + s + "-" + d, source, target, db));
      }
    }
    WorkflowClient client = temporal.client();
    first = new InProcessWorker(WorkflowClient.newInstance(client.getWorkflowServiceStubs(),
        WorkflowClientOptions.newBuilder(client.getOptions()).setIdentity("fleet-worker-1").build()));
    second = new InProcessWorker(WorkflowClient.newInstance(client.getWorkflowServiceStubs(),
        WorkflowClientOptions.newBuilder(client.getOptions()).setIdentity("fleet-worker-2").build()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (first != null) first.close();
    if (second != null) second.close();
    for (EmbeddedPostgresServer s : servers) s.close();
  }

  @Test
  void aFleetStopsAfterAPlantedFailureIsSkippedByTheOperatorAndCompletesWithEveryDatabaseIdentical() throws Exception {
    Path plan = dir.resolve("fleet.yaml");
    Files.writeString(plan, fleetYaml());
    Run validate = phaseshift("fleet", "validate", plan.toString());
    assertEquals(0, validate.code(), validate.all());
    assertTrue(validate.out().contains("22 database(s) in 3 wave(s)"), validate.all());

    FleetWrites writes = new FleetWrites(apps.stream().filter(a -> !a.name.equals(PLANTED)).toList());
    Run start = phaseshift("fleet", "start", plan.toString());
    assertEquals(0, start.code(), start.all());
    FleetWorkflow fleet = temporal.client().newWorkflowStub(FleetWorkflow.class, "fleet-" + FLEET);

    FleetStatus held = drive(fleet, s -> FleetStatus.HELD.equals(s.state()), "the stop after the planted failure");
    assertEquals(1, held.currentWave(), held.toString());
    assertEquals(FleetMemberState.FAILED, member(held, PLANTED).state());
    assertTrue(held.members().stream().filter(m -> m.wave() == 2).allMatch(m -> m.state() == FleetMemberState.PENDING),
        "the last wave waits for the operator: " + held.members());
    assertTrue(held.members().stream().filter(m -> m.wave() < 2 && !m.name().equals(PLANTED))
        .allMatch(m -> m.state() == FleetMemberState.SUCCEEDED), "the rest of its wave went on: " + held.members());

    Run status = phaseshift("fleet", "status", FLEET);
    assertEquals(0, status.code(), status.all());
    assertTrue(status.out().contains("fleet e2e: HELD, wave 1 of 3"), status.all());
    assertEquals(22, status.out().lines().filter(l -> l.matches("\\d+ +d\\d-\\d+ .*")).count(), status.all());
    Run skip = phaseshift("fleet", "skip", FLEET, PLANTED, "--as", "ops", "-m", "target not provisioned");
    assertEquals(0, skip.code(), skip.all());
    assertTrue(skip.out().startsWith("accepted: skip " + PLANTED), skip.all());

    FleetStatus done = drive(fleet, s -> FleetStatus.COMPLETED.equals(s.state()), "the fleet's completion");
    writes.close();
    assertEquals(21, done.count(FleetMemberState.SUCCEEDED), done.toString());
    assertEquals(FleetMemberState.SKIPPED, member(done, PLANTED).state());
    assertTrue(writes.total() > 100, "the load wrote " + writes.total() + " rows");

    for (FleetWrites.App app : apps) {
      if (app.name.equals(PLANTED)) continue;
      assertEquals(rows(app.source, app.database, "SELECT id, name FROM items ORDER BY id"),
          rows(app.target, app.database, "SELECT id, name FROM items ORDER BY id"), app.name + ": items");
      Set<String> onTarget = new HashSet<>(rows(app.target, app.database, "SELECT id FROM writes"));
      for (long id : app.acked) assertTrue(onTarget.contains(String.valueOf(id)), app.name + ": write " + id + " lost");
      assertTrue(onTarget.containsAll(rows(app.source, app.database, "SELECT id FROM writes")),
          app.name + ": a row written on the source is missing on the target");
    }

    Run report = phaseshift("fleet", "report", FLEET);
    assertEquals(0, report.code(), report.all());
    assertTrue(report.out().startsWith("# Fleet e2e\n"), report.all());
    assertTrue(report.out().contains("| 1 | " + PLANTED + " | SKIPPED |"), report.out());
    Run json = phaseshift("fleet", "report", FLEET, "-o", "json");
    assertEquals(0, json.code(), json.all());
    assertTrue(json.out().contains("\"state\" : \"COMPLETED\""), json.out());

    List<HistoryEvent> events = temporal.client().fetchHistory("fleet-" + FLEET).getEvents();
    assertTrue(events.size() < EVENTS_PER_DATABASE * 22, "the fleet's history holds " + events.size() + " events");
    Set<String> identities = new HashSet<>();
    for (FleetWrites.App app : apps) {
      if (app.name.equals(PLANTED)) continue;
      for (HistoryEvent e : temporal.client().fetchHistory("migration-" + app.name).getEvents()) {
        if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
          identities.add(e.getActivityTaskStartedEventAttributes().getIdentity());
        }
      }
    }
    assertTrue(identities.containsAll(List.of("fleet-worker-1", "fleet-worker-2")), "steps ran on " + identities);
  }

  /** Waits for the fleet, doing what the operator of a manual router does: moves each application, then confirms. */
  private FleetStatus drive(FleetWorkflow fleet, Predicate<FleetStatus> reached, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
    FleetStatus last = null;
    while (System.nanoTime() < deadline) {
      last = fleet.status();
      if (last != null && reached.test(last)) return last;
      for (FleetMember m : last == null ? List.<FleetMember>of() : last.members()) {
        if (m.state() != FleetMemberState.RUNNING || m.waitingFor() == null
            || !m.waitingFor().startsWith("connectionSwitched")) continue;
        FleetWrites.App app = apps.stream().filter(a -> a.name.equals(m.name())).findFirst().orElseThrow();
        if (app.onTarget) continue;
        app.onTarget = true;
        temporal.client().newWorkflowStub(MigrationWorkflow.class, m.workflowId())
            .connectionSwitched(new OperatorRequest("ops", "application restarted on the target"));
      }
      Thread.sleep(500);
    }
    throw new AssertionError("timed out waiting for " + what + "; last: " + last);
  }

  private static String fleetYaml() {
    StringBuilder y = new StringBuilder("""
        name: e2e
        requestedBy: alice
        statusEvery: 2s
        template:
          source: {user: postgres}
          target: {user: postgres}
          approvalRequired: false
          retention: 1s
          cutover: {maxFreeze: 15s}
          assessment: {sample: 0s}
          verification: {window: 0s}
        waves: {canary: 1, size: 11, concurrency: 6, signOff: none}
        stop: {maxFailureRate: 0}
        databases:
        """);
    for (FleetWrites.App app : apps) {
      String target = app.name.equals(PLANTED) ? "jdbc:postgresql://127.0.0.1:1/" + app.database
          : app.target.jdbcUrl(app.database);
      y.append("  - {name: ").append(app.name).append(", source: '").append(app.source.jdbcUrl(app.database))
          .append("', target: '").append(target).append("'}\n");
    }
    return y.toString();
  }

  private static List<String> rows(EmbeddedPostgresServer server, String db, String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = server.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder row = new StringBuilder(rs.getString(1));
        for (int i = 2; i <= columns; i++) row.append('|').append(rs.getString(i));
        rows.add(row.toString());
      }
    }
    return rows;
  }

  private static FleetMember member(FleetStatus s, String name) {
    return s.members().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  static Run phaseshift(String... args) throws Exception {
    return PhaseshiftProcess.run(dir, args[1].equals("validate") ? null : temporal.address(), args);
  }
}
