package dev.phaseshift.cli;

/** A failure the CLI explains in one message and maps to one of its documented exit codes. */
public final class CliException extends RuntimeException {
  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
