package dev.phaseshift.plan;

/**
 * Everything a migration needs to know, as one document: the YAML/JSON file the CLI reads and the
 * single input of {@code MigrationWorkflow}, so the Temporal Web UI can start a run with it too.
 * Optional fields may be {@code null}; {@link #withDefaults()} fills them from {@link PlanDefaults}.
 *
 * @param name             migration name: lower-case letters, digits, '-' and '_'
 * @param source           the database that is moved
 * @param target           the database it moves to
 * @param tables           which tables move (default: every user table)
 * @param copyParallelism  tables copied at once (default {@value PlanDefaults#COPY_PARALLELISM})
 * @param cutover          write-freeze limits
 * @param approvalRequired whether switchover waits for an {@code approve} signal (default true)
 * @param retention        how long the old database is kept before decommissioning (default 48h)
 * @param requestedBy      who asked for the migration, for the audit trail
 */
public record MigrationPlan(
    String name,
    Endpoint source,
    Endpoint target,
    TableSelection tables,
    Integer copyParallelism,
    CutoverPolicy cutover,
    Boolean approvalRequired,
    String retention,
    String requestedBy) {

  public MigrationPlan withDefaults() {
    CutoverPolicy c = cutover == null ? new CutoverPolicy(null, null) : cutover;
    return new MigrationPlan(
        name,
        source,
        target,
        tables == null ? TableSelection.all() : tables,
        copyParallelism == null ? PlanDefaults.COPY_PARALLELISM : copyParallelism,
        new CutoverPolicy(
            c.maxFreeze() == null ? PlanDefaults.MAX_FREEZE : c.maxFreeze(),
            c.maxLagBytes() == null ? PlanDefaults.MAX_LAG_BYTES : c.maxLagBytes()),
        approvalRequired == null ? PlanDefaults.APPROVAL_REQUIRED : approvalRequired,
        retention == null ? PlanDefaults.RETENTION : retention,
        requestedBy);
  }

  /** The id every object the migration creates is named after (slot, publication, subscription). */
  public String objectName() {
    return "phaseshift_" + name.replace('-', '_');
  }

  public String workflowId() {
    return "migration-" + name;
  }
}
