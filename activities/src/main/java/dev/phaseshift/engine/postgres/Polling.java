package dev.phaseshift.engine.postgres;

/** The pause between two looks at the server while the engine waits for it to reach a state. */
final class Polling {
  private Polling() {}

  /**
   * Sleeps, turning an interrupt into a failure: an interrupted activity thread is being cancelled
   * or shut down, so the wait must end and the step fail rather than go on polling.
   */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting on the database", e);
    }
  }
}
