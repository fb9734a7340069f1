package dev.phaseshift.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.FleetDatabase;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetStopPolicy;
import dev.phaseshift.plan.FleetWaves;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.testing.InProcessWorker;
import dev.phaseshift.testing.TemporalDevServer;
import dev.phaseshift.workflow.FleetWorkflow;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Times N databases moved one after another against the same N moved as one fleet, by two workers
 * through a real Temporal dev server (run by bench/fleet.sh, not by the build). Both use the manual
 * router, each connection switch confirmed as soon as it is asked for; the figures go to
 * {@code target/fleet-benchmark.txt}.
 */
class FleetBenchmark {
  @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();
  static final int DATABASES = Integer.getInteger("phaseshift.fleetBench.databases", 8);
  static final int ROWS = Integer.getInteger("phaseshift.fleetBench.rows", 50_000);
  static final int CONCURRENCY = Integer.getInteger("phaseshift.fleetBench.concurrency", 4);

  @Test
  void aFleetAgainstTheSameMigrationsOneAfterAnother() throws Exception {
    try (EmbeddedPostgresServer source = EmbeddedPostgresServer.start();
        EmbeddedPostgresServer target = EmbeddedPostgresServer.start()) {
      List<String> sequential = databases(source, target, "seq");
      List<String> fleet = databases(source, target, "fleet");
      WorkflowClient client = temporal.client();
      InProcessWorker first = new InProcessWorker(WorkflowClient.newInstance(client.getWorkflowServiceStubs(),
          WorkflowClientOptions.newBuilder(client.getOptions()).setIdentity("bench-worker-1").build()));
      InProcessWorker second = new InProcessWorker(WorkflowClient.newInstance(client.getWorkflowServiceStubs(),
          WorkflowClientOptions.newBuilder(client.getOptions()).setIdentity("bench-worker-2").build()));
      try {
        long t0 = System.nanoTime();
        for (String db : sequential) migrate(client, plan(source, target, db));
        long sequentialMs = (System.nanoTime() - t0) / 1_000_000;

        List<FleetDatabase> entries = new ArrayList<>();
        for (String db : fleet) {
          entries.add(new FleetDatabase(db.replace('_', '-'), null, source.jdbcUrl(db), target.jdbcUrl(db), null));
        }
        MigrationPlan template = plan(source, target, null);
        FleetPlan plan = new FleetPlan("bench", "bench", template, entries,
            new FleetWaves(1, DATABASES, CONCURRENCY, FleetWaves.SIGN_OFF_NONE, null), new FleetStopPolicy(0.0), "2s");
        long t1 = System.nanoTime();
        FleetStatus done = runFleet(client, plan);
        long fleetMs = (System.nanoTime() - t1) / 1_000_000;
        assertEquals(DATABASES, done.count(FleetMemberState.SUCCEEDED), done.toString());

        String figures = "databases=" + DATABASES + " rows_per_database=" + ROWS + " concurrency=" + CONCURRENCY
            + " sequential_ms=" + sequentialMs + " fleet_ms=" + fleetMs + " cpus="
            + Runtime.getRuntime().availableProcessors() + "\n";
        Files.writeString(Path.of("target", "fleet-benchmark.txt"), figures);
        System.out.print("FLEET BENCHMARK " + figures);
      } finally {
        first.close();
        second.close();
      }
    }
  }

  private static List<String> databases(EmbeddedPostgresServer source, EmbeddedPostgresServer target, String prefix)
      throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < DATABASES; i++) {
      String db = prefix + "_" + i;
      source.createDatabase(db);
      target.createDatabase(db);
      try (Connection c = source.connect(db); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, filler text)");
        s.execute("INSERT INTO items SELECT g, 'item ' || g, repeat('x', 200) FROM generate_series(1, " + ROWS + ") g");
      }
      names.add(db);
    }
    return names;
  }

  private static MigrationPlan plan(EmbeddedPostgresServer source, EmbeddedPostgresServer target, String db) {
    return new MigrationPlan(db == null ? null : db.replace('_', '-'),
        new Endpoint(db == null ? null : source.jdbcUrl(db), EmbeddedPostgresServer.SUPERUSER, null),
        new Endpoint(db == null ? null : target.jdbcUrl(db), EmbeddedPostgresServer.SUPERUSER, null),
        null, null, new CutoverPolicy("15s", null), false, "1s", "bench")
        // Both runs skip the minute of workload sampling: the figures compare moving, not assessing.
        .withAssessmentSample("0s").withVerification(dev.phaseshift.plan.VerificationPolicy.off());
  }

  /** One migration from start to completion, its connection switch confirmed as soon as it waits for it. */
  private static void migrate(WorkflowClient client, MigrationPlan plan) throws InterruptedException {
    MigrationWorkflow m = client.newWorkflowStub(MigrationWorkflow.class, WorkflowOptions.newBuilder()
        .setTaskQueue(TaskQueues.MIGRATIONS).setWorkflowId(plan.workflowId()).build());
    WorkflowClient.start(m::run, plan);
    MigrationWorkflow running = client.newWorkflowStub(MigrationWorkflow.class, plan.workflowId());
    boolean confirmed = false;
    while (true) {
      MigrationStatus s = running.status();
      if (s.phase() == Phase.COMPLETED) break;
      if (!confirmed && s.waitingFor() != null && s.waitingFor().startsWith("connectionSwitched")) {
        running.connectionSwitched(new OperatorRequest("bench", null));
        confirmed = true;
      }
      Thread.sleep(200);
    }
    WorkflowStub.fromTyped(running).getResult(Object.class);
  }

  private static FleetStatus runFleet(WorkflowClient client, FleetPlan plan) throws InterruptedException {
    FleetWorkflow f = client.newWorkflowStub(FleetWorkflow.class, WorkflowOptions.newBuilder()
        .setTaskQueue(TaskQueues.MIGRATIONS).setWorkflowId(plan.workflowId()).build());
    WorkflowClient.start(f::run, plan, null);
    FleetWorkflow running = client.newWorkflowStub(FleetWorkflow.class, plan.workflowId());
    List<String> confirmed = new ArrayList<>();
    while (true) {
      FleetStatus s = running.status();
      if (s != null && FleetStatus.COMPLETED.equals(s.state())) return s;
      for (FleetMember m : s == null ? List.<FleetMember>of() : s.members()) {
        if (m.waitingFor() == null || !m.waitingFor().startsWith("connectionSwitched") || confirmed.contains(m.name())) continue;
        client.newWorkflowStub(MigrationWorkflow.class, m.workflowId()).connectionSwitched(new OperatorRequest("bench", null));
        confirmed.add(m.name());
      }
      Thread.sleep(200);
    }
  }
}
