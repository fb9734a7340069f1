package dev.phaseshift.engine;

/**
 * An engine failure the engine could classify. {@code type} is one of
 * {@link dev.phaseshift.workflow.FailureTypes} and says whether retrying can help (most types: it
 * cannot; {@code Unreachable}: it may); the message says what is wrong and how to fix it.
 */
public class MigrationException extends RuntimeException {
  private final String type;

  public MigrationException(String type, String message) {
    super(message);
    this.type = type;
  }

  public MigrationException(String type, String message, Throwable cause) {
    super(message, cause);
    this.type = type;
  }

  public String type() {
    return type;
  }

  public boolean retryable() {
    return dev.phaseshift.workflow.FailureTypes.retryable(type);
  }
}
