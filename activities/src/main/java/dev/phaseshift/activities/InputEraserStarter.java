package dev.phaseshift.activities;

import dev.phaseshift.workflow.InputEraserWorkflow;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.util.function.Consumer;

/**
 * Starts the eraser for a workflow whose input held a secret. Called by the plan converter while a
 * worker reads that input, before the run fails: the eraser is a workflow, so once started it
 * finishes even if this worker dies; and the start joins an eraser already running for that id.
 */
final class InputEraserStarter implements Consumer<String> {
  private final WorkflowClient client;
  private final String taskQueue;

  InputEraserStarter(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  @Override
  public void accept(String workflowId) {
    InputEraserWorkflow eraser = client.newWorkflowStub(InputEraserWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(InputEraserWorkflow.idFor(workflowId))
        .setTaskQueue(taskQueue)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .build());
    WorkflowClient.start(eraser::erase, workflowId);
  }
}
