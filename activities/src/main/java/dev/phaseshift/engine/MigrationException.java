package dev.phaseshift.engine;

/**
 * An engine failure that retrying will not fix. {@code type} is one of
 * {@link dev.phaseshift.workflow.FailureTypes}; the message says what is wrong and how to fix it.
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
}
