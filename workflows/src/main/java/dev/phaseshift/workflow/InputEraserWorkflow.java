package dev.phaseshift.workflow;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Deletes the runs of one workflow id whose input held a secret, and starts a run in their place
 * whose input names the fields only. Started by the worker that read such an input, under
 * {@link #idFor(String)}, before that run fails; being a workflow, the deletion outlives the worker.
 */
@WorkflowInterface
public interface InputEraserWorkflow {
  String TYPE = "EraseInputWithSecret";

  @WorkflowMethod(name = TYPE)
  InputErasure erase(String workflowId);

  /** One eraser per workflow id: a second worker that reads the same input joins the first. */
  static String idFor(String workflowId) {
    return "erase-input-" + workflowId;
  }
}
