package dev.phaseshift.activities;

import com.google.protobuf.ByteString;
import dev.phaseshift.plan.InlineSecrets;
import dev.phaseshift.workflow.InputEraserActivities;
import dev.phaseshift.workflow.InputErasure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DeleteWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Deletes the history of runs whose input held a secret, through the WorkflowService API of the
 * worker's own client. Temporal keeps a run's input in its WorkflowExecutionStarted event for the
 * namespace's whole retention, and only DeleteWorkflowExecution removes it; the stand-in run
 * started first keeps the failure visible under the same workflow id, naming the fields only.
 */
public final class InputEraserActivitiesImpl implements InputEraserActivities {
  /** A run still open this long after its start is not failing by itself; deleting it terminates it. */
  static final Duration OPEN_GRACE = Duration.ofMinutes(1);
  /** How long one attempt waits for Temporal's asynchronous deletion before it is retried. */
  static final Duration DELETION_WAIT = Duration.ofSeconds(40);

  private final WorkflowClient client;

  public InputEraserActivitiesImpl(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public InputErasure eraseRunsWithSecretInput(String workflowId) {
    WorkflowServiceBlockingStub service = client.getWorkflowServiceStubs().blockingStub();
    String current = currentRunId(service, workflowId);
    List<String> deleted = new ArrayList<>();
    Set<String> fields = new LinkedHashSet<>();
    String standIn = null;
    for (Map.Entry<String, WorkflowExecutionInfo> run : runs(service, workflowId, current).entrySet()) {
      WorkflowExecutionStartedEventAttributes started = startedEvent(service, workflowId, run.getKey());
      if (started == null) continue;
      List<String> found = secretFields(started.getInput());
      if (found.isEmpty()) continue;
      WorkflowExecutionInfo info = run.getValue();
      if (info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
          && Instant.ofEpochSecond(info.getStartTime().getSeconds()).plus(OPEN_GRACE).isAfter(Instant.now())) {
        // It fails within seconds (its worker read the secret); deleting it first would lose that failure.
        throw ApplicationFailure.newFailure("run " + run.getKey() + " of " + workflowId + " is still open", "RunStillOpen");
      }
      if (run.getKey().equals(current)) standIn = startStandIn(service, workflowId, run.getKey(), started, found);
      delete(service, workflowId, run.getKey());
      deleted.add(run.getKey());
      fields.addAll(found);
    }
    awaitDeletion(service, workflowId, deleted);
    return new InputErasure(deleted, List.copyOf(fields), standIn);
  }

  private String namespace() {
    return client.getOptions().getNamespace();
  }

  private static WorkflowExecution execution(String workflowId, String runId) {
    return WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId == null ? "" : runId).build();
  }

  private String currentRunId(WorkflowServiceBlockingStub service, String workflowId) {
    WorkflowExecutionInfo info = describe(service, workflowId, null);
    return info == null ? null : info.getExecution().getRunId();
  }

  private WorkflowExecutionInfo describe(WorkflowServiceBlockingStub service, String workflowId, String runId) {
    try {
      return service.describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
          .setNamespace(namespace()).setExecution(execution(workflowId, runId)).build()).getWorkflowExecutionInfo();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return null;
      throw e;
    }
  }

  /** The current run and every run visibility lists under this id (visibility may lag the current one). */
  private Map<String, WorkflowExecutionInfo> runs(WorkflowServiceBlockingStub service, String workflowId,
      String current) {
    Map<String, WorkflowExecutionInfo> runs = new LinkedHashMap<>();
    if (current != null) runs.put(current, describe(service, workflowId, current));
    if (workflowId.contains("'") || workflowId.contains("\\")) return runs;
    ByteString page = ByteString.EMPTY;
    do {
      ListWorkflowExecutionsResponse listed = service.listWorkflowExecutions(ListWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace()).setQuery("WorkflowId = '" + workflowId + "'").setNextPageToken(page).build());
      for (WorkflowExecutionInfo info : listed.getExecutionsList()) {
        runs.putIfAbsent(info.getExecution().getRunId(), info);
      }
      page = listed.getNextPageToken();
    } while (!page.isEmpty());
    return runs;
  }

  private WorkflowExecutionStartedEventAttributes startedEvent(WorkflowServiceBlockingStub service, String workflowId,
      String runId) {
    try {
      var history = service.getWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest.newBuilder()
          .setNamespace(namespace()).setExecution(execution(workflowId, runId)).setMaximumPageSize(1).build())
          .getHistory();
      return history.getEventsCount() == 0 ? null : history.getEvents(0).getWorkflowExecutionStartedEventAttributes();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return null;
      throw e;
    }
  }

  private static List<String> secretFields(Payloads input) {
    Set<String> found = new LinkedHashSet<>();
    for (Payload payload : input.getPayloadsList()) found.addAll(InlineSecrets.fields(payload.getData().toByteArray()));
    return List.copyOf(found);
  }

  /**
   * Same type and queue as the erased run, its input the field names only. The request id is
   * derived from the erased run, so a retried attempt cannot start a second stand-in.
   */
  private String startStandIn(WorkflowServiceBlockingStub service, String workflowId, String erasedRunId,
      WorkflowExecutionStartedEventAttributes started, List<String> fields) {
    Payload standIn = Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFrom(InlineSecrets.standIn(fields)))
        .build();
    try {
      return service.startWorkflowExecution(StartWorkflowExecutionRequest.newBuilder()
          .setNamespace(namespace())
          .setWorkflowId(workflowId)
          .setWorkflowType(started.getWorkflowType())
          .setTaskQueue(started.getTaskQueue())
          .setInput(Payloads.newBuilder().addPayloads(standIn))
          .setRequestId(UUID.nameUUIDFromBytes(("stand-in " + erasedRunId).getBytes(StandardCharsets.UTF_8)).toString())
          .setIdentity(client.getOptions().getIdentity())
          .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
          .build()).getRunId();
    } catch (StatusRuntimeException e) {
      // Someone started a new run under this id meanwhile: it stands there already.
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) return null;
      throw e;
    }
  }

  private void delete(WorkflowServiceBlockingStub service, String workflowId, String runId) {
    try {
      service.deleteWorkflowExecution(DeleteWorkflowExecutionRequest.newBuilder()
          .setNamespace(namespace()).setWorkflowExecution(execution(workflowId, runId)).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
    }
  }

  /** Temporal deletes a closed run asynchronously; the step ends when the history is gone. */
  private void awaitDeletion(WorkflowServiceBlockingStub service, String workflowId, List<String> runIds) {
    long deadline = System.nanoTime() + DELETION_WAIT.toNanos();
    for (String runId : runIds) {
      while (startedEvent(service, workflowId, runId) != null) {
        if (System.nanoTime() > deadline) {
          throw ApplicationFailure.newFailure("run " + runId + " of " + workflowId + " is not deleted yet",
              "DeletionPending");
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw ApplicationFailure.newFailure("interrupted while waiting for the deletion", "DeletionPending");
        }
      }
    }
  }
}
