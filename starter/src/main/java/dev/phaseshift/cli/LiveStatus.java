package dev.phaseshift.cli;

import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an operator sees of a running migration: the workflow's own status plus the progress its
 * running copies report in their heartbeats (which Temporal keeps on the pending activities, so
 * per-chunk progress costs no workflow history).
 */
public record LiveStatus(MigrationStatus status, List<CopyProgress> runningCopies) {

  public static LiveStatus read(WorkflowClient client, String workflowId) {
    MigrationStatus status = client.newWorkflowStub(MigrationWorkflow.class, workflowId).status();
    var describe = client.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
            .build());
    List<CopyProgress> running = new ArrayList<>();
    for (PendingActivityInfo activity : describe.getPendingActivitiesList()) {
      if (!activity.hasHeartbeatDetails() || activity.getHeartbeatDetails().getPayloadsCount() == 0) continue;
      // Only the copies heartbeat progress; the switchover and rollback heartbeat without details.
      CopyProgress progress = client.getOptions().getDataConverter().fromPayloads(0,
          Optional.of(activity.getHeartbeatDetails()), CopyProgress.class, CopyProgress.class);
      if (progress != null) running.add(progress);
    }
    return new LiveStatus(status, running);
  }

  /** A batch of small tables counts its progress in tables, a single table's copy in chunks. */
  static String unitOf(CopyProgress p) {
    return p.table() != null && p.table().startsWith("batch ") ? "tables" : "chunks";
  }

  /** One line for logs and the demo: phase, tables, running copies, lag, what it waits for. */
  public String line() {
    StringBuilder s = new StringBuilder();
    s.append('[').append(status.phase()).append(']');
    if (status.tablesTotal() > 0) {
      s.append(" tables ").append(status.tablesCopied()).append('/').append(status.tablesTotal());
    }
    for (CopyProgress p : runningCopies) {
      s.append(" | ").append(p.table()).append(' ').append(p.chunksDone()).append('/').append(p.chunksTotal())
          .append(' ').append(unitOf(p)).append(' ').append(Bytes.human(p.bytesCopied()));
    }
    if (status.lag() != null) s.append(" | lag ").append(Bytes.human(status.lag().bytes()));
    if (status.waitingFor() != null && !status.waitingFor().isEmpty()) s.append(" | ").append(status.waitingFor());
    return s.toString();
  }
}
