package dev.phaseshift.workflow;

/** Task queue names shared by the worker, the CLI and the Web UI instructions. */
public final class TaskQueues {
  /** Where migrations are started and their activities run, table copies included, on every worker. */
  public static final String MIGRATIONS = "phaseshift";

  private TaskQueues() {}

  /**
   * Where the replicas of a copy's snapshot are held, next to {@code queue}: every worker polls it
   * too, with slots of its own, so a replica held for the whole copy never takes a copy's slot.
   */
  public static String snapshotReplicas(String queue) {
    return queue + "-snapshot-replicas";
  }

  /** The default queue of physical seeding's steps, served only by a worker on the target host. */
  public static String seeding(String queue) {
    return queue + "-seeding";
  }
}
