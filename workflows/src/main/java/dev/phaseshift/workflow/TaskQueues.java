package dev.phaseshift.workflow;

/** Task queue names shared by the worker, the CLI and the Web UI instructions. */
public final class TaskQueues {
  /** Where migrations are started and their activities run, table copies included, on every worker. */
  public static final String MIGRATIONS = "phaseshift";

  private TaskQueues() {}
}
