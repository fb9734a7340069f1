package dev.phaseshift.workflow;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** The eraser's one step: talks to the Temporal service itself, so it lives beside the activities. */
@ActivityInterface
public interface InputEraserActivities {
  /**
   * Deletes every closed run of this workflow id whose input holds a secret, after starting the
   * stand-in run when the newest one is among them; fails (to be retried) while such a run is
   * still open or its deletion is not yet done.
   */
  @ActivityMethod(name = "EraseRunsWithSecretInput")
  InputErasure eraseRunsWithSecretInput(String workflowId);
}
