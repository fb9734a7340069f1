package dev.phaseshift.workflow;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

public class InputEraserWorkflowImpl implements InputEraserWorkflow {
  /**
   * The run to erase fails within a second of the eraser's start, and Temporal deletes a closed
   * run within seconds; retried briskly at first, then for a day, so a Temporal outage delays the
   * deletion rather than cancelling it.
   */
  private final InputEraserActivities eraser = Workflow.newActivityStub(InputEraserActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(1))
          .setScheduleToCloseTimeout(Duration.ofDays(1))
          .setRetryOptions(RetryOptions.newBuilder()
              .setInitialInterval(Duration.ofMillis(500))
              .setBackoffCoefficient(1.5)
              .setMaximumInterval(Duration.ofSeconds(30))
              .build())
          .setSummary("delete the runs whose input held a secret")
          .build());

  @Override
  public InputErasure erase(String workflowId) {
    Workflow.setCurrentDetails("Deleting the runs of " + workflowId + " whose input held a secret");
    return eraser.eraseRunsWithSecretInput(workflowId);
  }
}
