package dev.phaseshift.model;

/**
 * Who holds a database's lease: the migration's workflow id (the same across its runs, so a retry
 * or a new run of the same migration holds on to it), its name, and as what it uses the database.
 *
 * @param role {@code source} or {@code target}
 */
public record LeaseHolder(String workflowId, String migration, String role, String database) {
  public String describe() {
    return "migration " + migration + " (workflow " + workflowId + ", as its " + role + ")";
  }
}
