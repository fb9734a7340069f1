package dev.phaseshift.workflow;

import io.temporal.common.converter.DataConverterException;

/**
 * A workflow input that is not a readable plan. It carries no cause and no payload: the SDK's own
 * conversion error would quote the input, which may hold a password written inline. Workers list
 * this type in {@code setFailWorkflowExceptionTypes}, so the run fails at once with this message
 * instead of retrying its first workflow task forever.
 */
public final class InvalidPlanInput extends DataConverterException {
  public InvalidPlanInput(String message) {
    super(message);
  }

  /** The run's failure and the worker's log show the one message, not the converter's frames. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
