package dev.phaseshift.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.phaseshift.activities.PhaseshiftWorkers;
import dev.phaseshift.cli.Bytes;
import dev.phaseshift.cli.LiveStatus;
import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.model.Approval;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The whole product on one machine: two throwaway PostgreSQL servers, a shop database under a
 * live write load, and a real migration workflow from the first assessment to decommissioning.
 */
public final class Demo {
  public record Options(int megabytes, Duration retention, int loadThreads, boolean preferDevServer) {}

  public record Outcome(MigrationReport report, WriteLoad.Result load, Map<String, Object> summary) {
    public boolean succeeded() {
      return "COMPLETED".equals(report.outcome()) && load.missingOnTarget() == 0;
    }
  }

  private Demo() {}

  public static Outcome run(Options options, PrintStream out) throws Exception {
    out.println("Starting two PostgreSQL servers on free loopback ports...");
    try (EmbeddedPostgresServer sourceServer = EmbeddedPostgresServer.start();
         EmbeddedPostgresServer targetServer = EmbeddedPostgresServer.start()) {
      Endpoint source = sourceServer.createDatabase("shop");
      Endpoint target = targetServer.createDatabase("shop");
      out.printf("  source %s%n  target %s%n", source.url(), target.url());

      out.printf("Loading about %d MB of sample data (customers, orders, documents, events)...%n", options.megabytes());
      long loadStart = System.nanoTime();
      long sourceBytes;
      try (Connection c = sourceServer.connect("shop")) {
        SampleData.load(c, options.megabytes());
        sourceBytes = SampleData.databaseBytes(c);
      }
      out.printf("  %s loaded in %.1fs%n", Bytes.human(sourceBytes), (System.nanoTime() - loadStart) / 1e9);

      try (LocalTemporal temporal = LocalTemporal.start(options.preferDevServer())) {
        PhaseshiftWorkers.register(temporal.workerFactory(), TaskQueues.MIGRATIONS);
        temporal.startWorkers();
        temporal.uiAddress().ifPresentOrElse(
            ui -> out.println("Temporal dev server running; Web UI: " + ui + " (workflow id migration-demo)"),
            () -> out.println("Temporal running in-process (install the temporal CLI to get the Web UI)"));

        AtomicReference<String> primary = new AtomicReference<>(source.url());
        long customers;
        try (Connection c = sourceServer.connect("shop");
             var rs = c.createStatement().executeQuery("SELECT max(id) FROM customers")) {
          rs.next();
          customers = rs.getLong(1);
        }
        WriteLoad load = new WriteLoad(primary, options.loadThreads(), customers);
        load.start();
        out.printf("Write load started: %d sessions inserting, updating and deleting orders and events%n",
            options.loadThreads());

        MigrationPlan plan = new MigrationPlan("demo", source, target, null, 2,
            new CutoverPolicy("15s", 8L * 1024 * 1024), true, options.retention().toSeconds() + "s", "demo")
            // A short sample: the demo shows the workload report without a minute's wait.
            .withAssessmentSample("5s");
        MigrationReport report = migrate(temporal.client(), plan, primary, source, target, out);

        load.close();
        String newPrimary = primary.get();
        WriteLoad.Result loadResult = load.verifyOn(newPrimary);
        Outcome outcome = new Outcome(report, loadResult, summary(report, loadResult));
        print(outcome, out);
        return outcome;
      }
    }
  }

  private static MigrationReport migrate(WorkflowClient client, MigrationPlan plan, AtomicReference<String> primary,
      Endpoint source, Endpoint target, PrintStream out) throws Exception {
    MigrationWorkflow workflow = client.newWorkflowStub(MigrationWorkflow.class, WorkflowOptions.newBuilder()
        .setTaskQueue(TaskQueues.MIGRATIONS)
        .setWorkflowId(plan.workflowId())
        .setStaticSummary("Demo: shop database from " + plan.source().hostAndDatabase()
            + " to " + plan.target().hostAndDatabase())
        .build());
    WorkflowClient.start(workflow::run, plan);
    out.println("Migration workflow " + plan.workflowId() + " started");
    CompletableFuture<MigrationReport> result = WorkflowStub.fromTyped(workflow).getResultAsync(MigrationReport.class);

    boolean approved = false;
    String lastLine = "";
    long lastPrint = 0;
    while (true) {
      try {
        MigrationReport report = result.get(250, TimeUnit.MILLISECONDS);
        primary.set("ROLLED_BACK".equals(report.outcome()) ? source.url() : target.url());
        return report;
      } catch (TimeoutException running) {
        // still running: show progress and play the operator's part
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof WorkflowFailedException failed
            && failed.getCause() instanceof ApplicationFailure app && app.getDetails() != null) {
          return app.getDetails().get(MigrationReport.class);
        }
        throw e;
      }
      LiveStatus live;
      try {
        live = LiveStatus.read(client, plan.workflowId());
      } catch (RuntimeException notYetQueryable) {
        continue;
      }
      String wanted = "target".equals(live.status().primary()) ? target.url() : source.url();
      if (!primary.get().equals(wanted)) {
        primary.set(wanted);
        workflow.connectionSwitched(new OperatorRequest("demo-operator", "the demo's application now writes to the "
            + live.status().primary()));
        out.println("Application switched to the " + live.status().primary()
            + " (the demo plays the operator and sends connectionSwitched)");
      }
      if (live.status().phase() == Phase.SWITCHOVER && live.status().waitingFor().startsWith("approval")
          && live.status().approvals().isEmpty()) {
        out.println(approved
            ? "The approval was withdrawn (" + lastDecision(live) + "); the demo approves again"
            : "Switchover needs sign-off: the demo approves automatically as 'demo-operator'"
                + " (a real migration waits for a person to send the approve update or signal)");
        workflow.approveUpdate(new Approval("demo-operator", "automatic approval in the demo", null));
        approved = true;
      }
      String line = live.line();
      long now = System.currentTimeMillis();
      if (!line.equals(lastLine) || now - lastPrint > 5000) {
        out.println(line);
        lastLine = line;
        lastPrint = now;
      }
    }
  }

  private static String lastDecision(LiveStatus live) {
    var decisions = live.status().decisions();
    return decisions.isEmpty() ? "no reason given" : decisions.get(decisions.size() - 1).reason();
  }

  static Map<String, Object> summary(MigrationReport report, WriteLoad.Result load) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("outcome", report.outcome());
    List<Map<String, Object>> tables = new ArrayList<>();
    if (report.validation() != null) {
      for (TableValidation t : report.validation().tables()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", t.table());
        row.put("rows", t.sourceRows());
        row.put("match", t.match());
        tables.add(row);
      }
    }
    json.put("tables", tables);
    Map<String, Object> validation = new LinkedHashMap<>();
    validation.put("mismatches", report.validation() == null ? null : report.validation().mismatches());
    validation.put("schemaDifferences", report.validation() == null ? null : report.validation().schemaDifferences());
    json.put("validation", validation);
    json.put("writeFreezeMillis", report.switchover() == null ? null : report.switchover().writeFreezeMillis());
    json.put("copyThroughputMiBps", report.copyThroughputMiBps());
    Map<String, Object> loadJson = new LinkedHashMap<>();
    loadJson.put("acknowledgedWrites", load.acknowledgedWrites());
    loadJson.put("failedWrites", load.failedWrites());
    loadJson.put("missingOnTarget", load.missingOnTarget());
    loadJson.put("missingExamples", load.examples());
    json.put("load", loadJson);
    json.put("report", report);
    return json;
  }

  public static void writeJson(Outcome outcome, Path file) throws java.io.IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (file.getParent() != null) Files.createDirectories(file.getParent());
    Files.writeString(file, mapper.writeValueAsString(outcome.summary()));
  }

  private static void print(Outcome outcome, PrintStream out) {
    MigrationReport r = outcome.report();
    out.println();
    out.println("== Migration report: " + r.name() + " ==");
    out.println("Outcome: " + r.outcome() + (r.error() == null ? "" : " (" + r.failedIn() + ": " + r.error() + ")"));
    if (r.copies() != null) {
      r.copies().forEach(c -> out.printf("  copied %-22s %,10d rows %10s in %5.1fs (%d chunks)%n",
          c.table(), c.rows(), Bytes.human(c.bytes()), c.millis() / 1000.0, c.chunks()));
      out.printf("  copy throughput: %.1f MiB/s%n", r.copyThroughputMiBps());
    }
    if (r.validation() != null) {
      r.validation().tables().forEach(t -> out.printf("  validated %-19s %,10d rows  %s%n",
          t.table(), t.sourceRows(), t.match() ? "match" : "MISMATCH (target " + t.targetRows() + " rows)"));
      out.println("  validation mismatches: " + r.validation().mismatches()
          + (r.validation().schemaDifferences().isEmpty() ? ", schemas equal" : ", schema differences: "
              + r.validation().schemaDifferences()));
    }
    if (r.switchover() != null) {
      out.printf("  write freeze: %d ms, %d sequences copied, %d sessions ended%n",
          r.switchover().writeFreezeMillis(), r.switchover().sequencesCopied(), r.switchover().sessionsTerminated());
    }
    if (r.verify() != null) {
      out.println("  verify: target writable " + r.verify().targetWritable() + ", writes on the old source after switch: "
          + r.verify().sourceWritesAfterSwitch());
    }
    r.approvals().forEach(a -> out.println("  approved by " + a.approver() + " at " + a.at() + ": " + a.comment()));
    WriteLoad.Result load = outcome.load();
    out.printf("Write load: %,d writes acknowledged, %,d refused while writes were frozen (not acknowledged), %d missing on the new primary%n",
        load.acknowledgedWrites(), load.failedWrites(), load.missingOnTarget());
    load.examples().forEach(e -> out.println("  missing: " + e));
    out.println(outcome.succeeded() ? "Demo succeeded: zero lost writes." : "Demo FAILED.");
  }
}
