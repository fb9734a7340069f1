package dev.phaseshift.activities;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.util.Comparator;
import java.util.Optional;

/**
 * Finds a plan's latest finished rehearsal through Temporal's visibility: the rehearsal's report
 * is its workflow's result (or, for one that failed, the details of its failure), so Temporal
 * keeps it for as long as it keeps the run. Completed and failed runs both count: a rehearsal
 * that failed validation last night must not let the gate fall back to an older good one.
 */
final class LatestRehearsals {
  /** Runs looked at, newest first; schedules keep many, only the newest matters. */
  static final int SCANNED = 20;

  private final WorkflowClient client;

  LatestRehearsals(WorkflowClient client) {
    this.client = client;
  }

  /** The newest finished rehearsal of the plan called {@code name}, or null. */
  RehearsalRecord latest(String name) {
    // Scheduled runs get ids "rehearsal-<name>-<time>"; a longer plan name sharing the prefix is
    // filtered out by the report's own name.
    String query = "WorkflowType = '" + MigrationWorkflow.TYPE + "' AND WorkflowId STARTS_WITH 'rehearsal-" + name
        + "' AND (ExecutionStatus = 'Completed' OR ExecutionStatus = 'Failed')";
    return client.listExecutions(query).limit(SCANNED)
        .filter(m -> m.getCloseTime() != null)
        .sorted(Comparator.comparing(WorkflowExecutionMetadata::getCloseTime).reversed())
        .map(m -> record(m, name))
        .flatMap(Optional::stream)
        .findFirst().orElse(null);
  }

  private Optional<RehearsalRecord> record(WorkflowExecutionMetadata m, String name) {
    String id = m.getExecution().getWorkflowId();
    WorkflowStub stub = client.newUntypedWorkflowStub(id, Optional.of(m.getExecution().getRunId()), Optional.empty());
    MigrationReport report;
    if (m.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      report = stub.getResult(MigrationReport.class);
    } else {
      try {
        report = stub.getResult(MigrationReport.class);
      } catch (WorkflowFailedException failed) {
        if (!(failed.getCause() instanceof ApplicationFailure app) || app.getDetails() == null
            || app.getDetails().getSize() == 0) {
          return Optional.empty();
        }
        report = app.getDetails().get(MigrationReport.class);
      }
    }
    if (report == null || !name.equals(report.name())) return Optional.empty();
    boolean passed = report.validation() != null && report.validation().passed();
    return Optional.of(new RehearsalRecord(id, m.getCloseTime().toString(), report.outcome(), passed,
        report.rehearsal()));
  }
}
