package dev.phaseshift.cli;

import dev.phaseshift.model.Decision;
import dev.phaseshift.workflow.FailureTypes;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;

/** A refused Update carries the decision the workflow recorded; anything else is a real failure. */
final class Refusals {
  private Refusals() {}

  /** The recorded refusal inside this failed Update; rethrows the failure when it is not a refusal. */
  static Decision of(WorkflowUpdateException e) {
    if (e.getCause() instanceof ApplicationFailure refusal && FailureTypes.REFUSED.equals(refusal.getType())) {
      return refusal.getDetails().get(Decision.class);
    }
    throw e;
  }
}
