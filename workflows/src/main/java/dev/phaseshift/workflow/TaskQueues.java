package dev.phaseshift.workflow;

/** Task queue names shared by the worker, the CLI and the Web UI instructions. */
public final class TaskQueues {
  /** Where migrations are started and most activities run. */
  public static final String MIGRATIONS = "phaseshift";

  private TaskQueues() {}

  /**
   * A queue only one worker process polls. Copies that must read under the snapshot that process
   * holds are sent there.
   */
  public static String processQueue(String base, String processId) {
    return base + "@" + processId;
  }
}
