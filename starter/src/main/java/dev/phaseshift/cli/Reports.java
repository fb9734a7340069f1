package dev.phaseshift.cli;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Optional;

/**
 * Where a migration's report lives: the result of a completed workflow, or the details of the
 * failure a failed or aborted one ends with. Rehearsals are separate workflows; the newest
 * completed one of a plan is found through visibility.
 */
public final class Reports {
  /** How many recent rehearsal runs are looked at; schedules keep many, only the newest matters. */
  static final int REHEARSALS_SCANNED = 20;

  private Reports() {}

  public static MigrationReport of(WorkflowClient client, String workflowId) {
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    WorkflowExecutionStatus status = stub.describe().getStatus();
    switch (status) {
      case WORKFLOW_EXECUTION_STATUS_COMPLETED:
        return stub.getResult(MigrationReport.class);
      case WORKFLOW_EXECUTION_STATUS_FAILED:
        try {
          return stub.getResult(MigrationReport.class);
        } catch (WorkflowFailedException failed) {
          if (failed.getCause() instanceof ApplicationFailure app && app.getDetails() != null && app.getDetails().getSize() > 0) {
            return app.getDetails().get(MigrationReport.class);
          }
          throw new CliException(ExitCodes.FAILED, workflowId + " failed without a report: " + failed.getCause().getMessage());
        }
      case WORKFLOW_EXECUTION_STATUS_RUNNING:
        throw new CliException(ExitCodes.FAILED, workflowId + " is still running; its report is written when it ends."
            + " Follow it with: phaseshift status " + workflowId.substring(workflowId.indexOf('-') + 1) + " --watch");
      default:
        throw new CliException(ExitCodes.FAILED, workflowId + " ended as "
            + status.name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase()
            + " (terminated or cancelled outside Phaseshift), so it wrote no report");
    }
  }

  /**
   * The status a finished migration ends with, from its report: a query would need a worker, the
   * result does not.
   */
  public static MigrationStatus statusOf(MigrationReport r) {
    Phase phase = switch (r.outcome()) {
      case "COMPLETED", "REHEARSED" -> Phase.COMPLETED;
      case "ROLLED_BACK" -> Phase.ROLLED_BACK;
      case "ABORTED" -> Phase.ABORTED;
      default -> Phase.FAILED;
    };
    boolean onTarget = r.switchover() != null && r.rollback() == null && phase != Phase.FAILED;
    List<Approval> approvals = r.approvals() == null ? List.of() : r.approvals();
    return new MigrationStatus(r.name(), phase, "", r.assessment() == null ? 0 : r.assessment().tableCount(),
        r.copies() == null ? List.of() : r.copies(), null, r.validation(),
        r.switchover() == null ? null : r.switchover().writeFreezeMillis(), onTarget ? "target" : "source", approvals,
        r.error(), r.decisions() == null ? List.of() : r.decisions(), false, r.rollback(), r.copyTotals(), null,
        r.assessment() == null ? 0 : r.assessment().totalBytes());
  }

  /** The same status, ended in {@code phase} for {@code why}. */
  static MigrationStatus ended(MigrationStatus s, Phase phase, String why) {
    return new MigrationStatus(s.name(), phase, "", s.tablesTotal(), s.copies(), s.lag(), s.validation(),
        s.writeFreezeMillis(), s.primary(), s.approvals(), why, s.decisions(), false, s.rollback(), s.copyTotals(),
        null, s.bytesTotal());
  }

  /** The newest completed rehearsal of the plan called {@code name}, if any. */
  public static Optional<MigrationReport> latestRehearsal(WorkflowClient client, String name) {
    // Scheduled runs get ids "rehearsal-<name>-<time>"; a longer plan name sharing the prefix is
    // filtered out by the report's own name.
    String query = "WorkflowType = '" + MigrationWorkflow.TYPE + "' AND ExecutionStatus = 'Completed'"
        + " AND WorkflowId STARTS_WITH 'rehearsal-" + name + "'";
    return client.listExecutions(query).limit(REHEARSALS_SCANNED)
        .sorted((a, b) -> b.getCloseTime().compareTo(a.getCloseTime()))
        .map(WorkflowExecutionMetadata::getExecution)
        .map(e -> client.newUntypedWorkflowStub(e.getWorkflowId(), Optional.of(e.getRunId()), Optional.empty())
            .getResult(MigrationReport.class))
        .filter(r -> name.equals(r.name()) && "REHEARSED".equals(r.outcome()))
        .findFirst();
  }
}
