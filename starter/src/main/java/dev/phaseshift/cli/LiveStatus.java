package dev.phaseshift.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.query.v1.WorkflowQuery;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.QueryWorkflowRequest;
import io.temporal.api.workflowservice.v1.QueryWorkflowResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What an operator sees of a migration: the workflow's own status plus what Temporal knows of the
 * steps it runs (attempt, last failure, the copy progress of their heartbeats), read with
 * DescribeWorkflowExecution, which needs no worker. The workflow's status comes from its
 * {@code status} query while it runs and a worker answers, from its result once it ended, and
 * otherwise from its search attributes, saying so.
 *
 * @param steps     the steps running or waiting to retry, as Temporal sees them
 * @param startedAt when the migration's workflow started
 * @param readAt    when this was read (the CLI's clock), for the age of a lag measurement
 * @param note      why the status is incomplete (no worker answered), or null
 */
public record LiveStatus(MigrationStatus status, List<StepView> steps, Instant startedAt, Instant readAt, String note) {
  /** Long enough for a worker to replay a long history, short enough to say soon that none answers. */
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(8);
  /** The workflow's {@code status} query (see {@link MigrationWorkflow#status()}). */
  static final String STATUS_QUERY = "status";

  public static LiveStatus read(WorkflowClient client, String workflowId) {
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    WorkflowExecutionDescription description = describe(stub, workflowId);
    Instant now = Instant.now();
    List<StepView> steps = new ArrayList<>();
    for (PendingActivityInfo activity : description.getRawDescription().getPendingActivitiesList()) {
      steps.add(StepView.of(activity, client.getOptions().getDataConverter(), now));
    }
    WorkflowExecutionStatus state = description.getStatus();
    MigrationStatus status;
    String note = null;
    if (state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      String taskQueue = description.getTaskQueue();
      String noAnswer = pollers(client, taskQueue) == 0
          ? "no worker polls task queue " + taskQueue : null;
      status = null;
      if (noAnswer == null) {
        try {
          status = query(client, workflowId);
        } catch (StatusRuntimeException e) {
          noAnswer = e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
              ? "no worker answered the status query within " + QUERY_TIMEOUT.toSeconds() + " s"
              : noPollerSeen(e)
                  // The server still lists a worker that stopped polling a moment ago.
                  ? "no worker answered the status query (" + e.getStatus().getDescription() + ")"
                  : "the status query failed: " + e.getStatus().getDescription();
        }
      }
      if (status == null) {
        // A query needs a worker to replay the workflow; the phase is also a search attribute, kept by the server.
        status = fromSearchAttributes(workflowId, description);
        note = noAnswer + "; the phase is the server's record, the steps below are live."
            + " Start a worker: ./phaseshift worker";
      }
    } else if (state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        || state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED) {
      status = Reports.statusOf(Reports.of(client, workflowId));
    } else {
      // Terminated, cancelled or timed out from outside: no report, and nothing undone by the migration.
      status = fromSearchAttributes(workflowId, description);
      status = Reports.ended(status, Phase.FAILED, "the workflow was " + state.name()
          .replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase().replace('_', ' ')
          + " outside Phaseshift in " + status.phase() + "; its undo did not run: check both servers"
          + " for the migration's change capture and change stream");
    }
    return new LiveStatus(status, steps, description.getStartTime(), now, note);
  }

  private static boolean noPollerSeen(StatusRuntimeException e) {
    String description = e.getStatus().getDescription();
    return description != null && description.contains("no poller seen");
  }

  /**
   * The workflow's status query, asked once with a short deadline: the SDK's query would retry a
   * query no worker answers for a minute and more, and an operator at a terminal wants to hear so.
   */
  private static MigrationStatus query(WorkflowClient client, String workflowId) {
    QueryWorkflowResponse response = client.getWorkflowServiceStubs().blockingStub()
        .withDeadlineAfter(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .queryWorkflow(QueryWorkflowRequest.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
            .setQuery(WorkflowQuery.newBuilder().setQueryType(STATUS_QUERY))
            .build());
    return client.getOptions().getDataConverter().fromPayloads(0, Optional.of(response.getQueryResult()),
        MigrationStatus.class, MigrationStatus.class);
  }

  /**
   * Workers that polled the workflow's task queue lately; none means no query can be answered.
   * -1 where the server cannot tell (Temporal's in-process test server, which the demo may use).
   */
  private static int pollers(WorkflowClient client, String taskQueue) {
    try {
      return client.getWorkflowServiceStubs().blockingStub().describeTaskQueue(DescribeTaskQueueRequest.newBuilder()
              .setNamespace(client.getOptions().getNamespace())
              .setTaskQueue(TaskQueue.newBuilder().setName(taskQueue))
              .setTaskQueueType(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
              .build())
          .getPollersCount();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) return -1;
      throw e;
    }
  }

  private static WorkflowExecutionDescription describe(WorkflowStub stub, String workflowId) {
    try {
      return stub.describe();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new CliException(ExitCodes.UNREACHABLE_OR_NOT_FOUND,
            "no workflow " + workflowId + " (check the name with: phaseshift list)");
      }
      throw e;
    }
  }

  private static MigrationStatus fromSearchAttributes(String workflowId, WorkflowExecutionDescription description) {
    String phase = description.getTypedSearchAttributes().get(MigrationSearchAttributes.PHASE);
    String name = workflowId.substring(workflowId.indexOf('-') + 1);
    return new MigrationStatus(name, phase == null ? Phase.PREPARE : Phase.valueOf(phase), "", 0, List.of(), null,
        null, null, "unknown", List.of(), null, List.of(), false, null, null, null, 0);
  }

  /** The copies whose heartbeats reported progress; in the JSON output as before the steps were added. */
  @JsonProperty("runningCopies")
  public List<CopyProgress> runningCopies() {
    return steps.stream().filter(s -> s.progress() != null).map(StepView::progress).toList();
  }

  /** A batch of small tables counts its progress in tables, a single table's copy in chunks. */
  static String unitOf(CopyProgress p) {
    return p.table() != null && p.table().startsWith("batch ") ? "tables" : "chunks";
  }

  /** Bytes copied so far: finished tables and the running copies' last heartbeats. */
  public long bytesCopied() {
    long finished = status.copyTotals() == null ? 0 : status.copyTotals().bytes();
    return finished + runningCopies().stream().mapToLong(CopyProgress::bytesCopied).sum();
  }

  /** One line for logs and the demo: phase, tables, running copies, lag, what it waits for, a troubled step. */
  public String line() {
    StringBuilder s = new StringBuilder();
    s.append('[').append(status.phase()).append(']');
    if (status.tablesTotal() > 0) {
      s.append(" tables ").append(status.tablesCopied()).append('/').append(status.tablesTotal());
    }
    for (CopyProgress p : runningCopies()) {
      s.append(" | ").append(p.table()).append(' ').append(p.chunksDone()).append('/').append(p.chunksTotal())
          .append(' ').append(unitOf(p)).append(' ').append(Bytes.human(p.bytesCopied()));
    }
    if (status.lag() != null) s.append(" | lag ").append(Bytes.human(status.lag().bytes()));
    if (status.waitingFor() != null && !status.waitingFor().isEmpty()) s.append(" | ").append(status.waitingFor());
    steps.stream().filter(StepView::troubled).forEach(step -> s.append(" | ").append(step.describe()));
    return s.toString();
  }
}
