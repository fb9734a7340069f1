package dev.phaseshift.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * Everything a migration needs to know, as one document: the YAML/JSON file the CLI reads and the
 * single input of {@code MigrationWorkflow}, so the Temporal Web UI can start a run with it too.
 * Optional fields may be {@code null}; {@link #withDefaults()} fills them from {@link PlanDefaults}.
 *
 * @param name             migration name: lower-case letters, digits, '-' and '_'
 * @param source           the database that is moved
 * @param target           the database it moves to
 * @param tables           which tables move (default: every user table)
 * @param copyParallelism  tables copied at once (default {@value PlanDefaults#COPY_PARALLELISM}); also the
 *                         sessions per side that validation checksums on
 * @param cutover          write-freeze limits
 * @param approvalRequired whether switchover waits for an {@code approve} signal (default true)
 * @param retention        how long the old database is kept before decommissioning (default 48h)
 * @param requestedBy      who asked for the migration, for the audit trail
 * @param approval         who may sign off, how many, until when
 * @param maintenanceWindows when the switchover may start (default: any time)
 * @param router           how application traffic is moved (default: manual)
 * @param targetDisposable whether undoing the migration may drop what it created on the target
 * @param reverseReplication whether the old database is kept current after switchover so a
 *                         rollback loses nothing (default true)
 * @param finalDumpDirectory where to write a pg_dump of the old database before it is released
 * @param webhookUrl       where to POST notifications (approval needed, switchover, rollback,
 *                         failure, completion)
 * @param mode             {@code migration} (default) or {@code rehearsal}: migrate into a scratch
 *                         target, validate, measure, then tear everything down instead of switching over
 * @param lockTimeout      longest a Phaseshift statement waits for a lock on an application table
 *                         (default {@value PlanDefaults#LOCK_TIMEOUT}); it gives up and tries again
 *                         later, so the application never queues behind it for longer
 * @param retiredClients   clients seen on the source that will not move to the target, so the
 *                         switchover does not wait for the target to admit them
 * @param subscriptionAuth how the subscriptions authenticate without a password kept in a catalog
 * @param verification     the window after the switchover that watches the new primary and rolls
 *                         back (or notifies) when it does worse than the source did
 * @param optimize         what OPTIMIZE may do beyond ANALYZE (freeze the copied tables)
 * @param assessment       how PREPARE samples the source's workload (default: for
 *                         {@value PlanDefaults#ASSESSMENT_SAMPLE})
 * @param seeding          how the target gets its first copy (default: logical, row by row)
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
    String requestedBy,
    ApprovalPolicy approval,
    List<MaintenanceWindow> maintenanceWindows,
    RouterConfig router,
    Boolean targetDisposable,
    Boolean reverseReplication,
    String finalDumpDirectory,
    String webhookUrl,
    String mode,
    String lockTimeout,
    List<RetiredClient> retiredClients,
    SubscriptionAuth subscriptionAuth,
    VerificationPolicy verification,
    OptimizePolicy optimize,
    AssessmentPolicy assessment,
    Seeding seeding) {

  public static final String MIGRATION = "migration";
  public static final String REHEARSAL = "rehearsal";

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl, String mode, String lockTimeout,
      List<RetiredClient> retiredClients, SubscriptionAuth subscriptionAuth,
      VerificationPolicy verification, OptimizePolicy optimize, AssessmentPolicy assessment) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, verification, optimize, assessment, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl, String mode, String lockTimeout,
      List<RetiredClient> retiredClients, SubscriptionAuth subscriptionAuth,
      VerificationPolicy verification, OptimizePolicy optimize) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, verification, optimize, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl, String mode, String lockTimeout) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, null, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl, String mode, String lockTimeout,
      List<RetiredClient> retiredClients, SubscriptionAuth subscriptionAuth) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, null, null, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl, String mode) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy, ApprovalPolicy approval, List<MaintenanceWindow> maintenanceWindows,
      RouterConfig router, Boolean targetDisposable, Boolean reverseReplication,
      String finalDumpDirectory, String webhookUrl) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, null);
  }

  public MigrationPlan(String name, Endpoint source, Endpoint target, TableSelection tables,
      Integer copyParallelism, CutoverPolicy cutover, Boolean approvalRequired, String retention,
      String requestedBy) {
    this(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention, requestedBy,
        null, null, null, null, null, null, null, null);
  }

  public MigrationPlan withDefaults() {
    CutoverPolicy c = cutover == null ? new CutoverPolicy(null, null) : cutover;
    ApprovalPolicy a = approval == null ? new ApprovalPolicy(null, null, null, null, null) : approval;
    RehearsalRequirement r = a.rehearsal() == null ? new RehearsalRequirement(null, null) : a.rehearsal();
    return new MigrationPlan(
        name,
        source,
        target,
        tables == null ? TableSelection.all() : tables,
        copyParallelism == null ? PlanDefaults.COPY_PARALLELISM : copyParallelism,
        new CutoverPolicy(
            c.maxFreeze() == null ? PlanDefaults.MAX_FREEZE : c.maxFreeze(),
            c.maxLagBytes() == null ? PlanDefaults.MAX_LAG_BYTES : c.maxLagBytes(),
            c.maxTransactionAge() == null ? PlanDefaults.MAX_TRANSACTION_AGE : c.maxTransactionAge()),
        approvalRequired == null ? PlanDefaults.APPROVAL_REQUIRED : approvalRequired,
        retention == null ? PlanDefaults.RETENTION : retention,
        requestedBy,
        new ApprovalPolicy(
            a.approvers() == null ? List.of() : a.approvers(),
            a.required() == null ? 1 : a.required(),
            a.requesterMayApprove() == null ? false : a.requesterMayApprove(),
            a.deadline(),
            a.onDeadline() == null ? PlanDefaults.ON_APPROVAL_DEADLINE : a.onDeadline(),
            new RehearsalRequirement(r.required() != null && r.required(),
                r.maxAge() == null ? PlanDefaults.REHEARSAL_MAX_AGE : r.maxAge())),
        maintenanceWindows == null ? List.of() : maintenanceWindows,
        router == null ? new RouterConfig(RouterConfig.MANUAL, null, null, null, null, null) : router,
        // A rehearsal's target is a scratch database by definition: its teardown drops what it created.
        targetDisposable == null ? REHEARSAL.equals(mode) : targetDisposable,
        reverseReplication == null ? PlanDefaults.REVERSE_REPLICATION : reverseReplication,
        finalDumpDirectory,
        webhookUrl,
        mode == null ? MIGRATION : mode,
        lockTimeout == null ? PlanDefaults.LOCK_TIMEOUT : lockTimeout,
        retiredClients == null ? List.of() : retiredClients,
        subscriptionAuth == null ? SubscriptionAuth.stored() : subscriptionAuth,
        verificationOrDefault().withDefaults(
            reverseReplication == null ? PlanDefaults.REVERSE_REPLICATION : reverseReplication),
        optimize == null ? new OptimizePolicy(PlanDefaults.OPTIMIZE_FREEZE) : optimize,
        new AssessmentPolicy(assessmentSampleOrDefault()),
        seedingOrDefault());
  }

  /** The same plan with more clients retired (by operators while the migration runs). */
  public MigrationPlan withRetiredClients(List<RetiredClient> more) {
    List<RetiredClient> all = new java.util.ArrayList<>(retiredClientsOrNone());
    all.addAll(more);
    return new MigrationPlan(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention,
        requestedBy, approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, List.copyOf(all), subscriptionAuth, verification, optimize, assessment,
        seeding);
  }

  /** The same plan as a rehearsal (for schedules that rehearse a real migration's plan). */
  public MigrationPlan asRehearsal() {
    return new MigrationPlan(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention,
        requestedBy, approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, REHEARSAL, lockTimeout, retiredClients, subscriptionAuth, verification, optimize, assessment,
        seeding);
  }

  /** The same plan with another verification window (tests and benchmarks that need a short one or none). */
  public MigrationPlan withVerification(VerificationPolicy policy) {
    return new MigrationPlan(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention,
        requestedBy, approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, policy, optimize, assessment, seeding);
  }

  /** The same plan with another optimize policy. */
  public MigrationPlan withOptimize(OptimizePolicy policy) {
    return new MigrationPlan(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention,
        requestedBy, approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, verification, policy, assessment, seeding);
  }

  /** The plan's window, also for a plan that did not go through {@link #withDefaults()}. */
  @JsonIgnore
  public VerificationPolicy verificationOrDefault() {
    return verification == null
        ? new VerificationPolicy(null, null, null, null, null, null, null, null, null, null, null, null)
        : verification;
  }

  /** The same plan with another workload sample ({@code phaseshift assess --sample}, tests). */
  public MigrationPlan withAssessmentSample(String sample) {
    return new MigrationPlan(name, source, target, tables, copyParallelism, cutover, approvalRequired, retention,
        requestedBy, approval, maintenanceWindows, router, targetDisposable, reverseReplication, finalDumpDirectory,
        webhookUrl, mode, lockTimeout, retiredClients, subscriptionAuth, verification, optimize,
        new AssessmentPolicy(sample), seeding);
  }

  /** How long the workload is sampled, also for a plan that did not go through {@link #withDefaults()}. */
  @JsonIgnore
  public String assessmentSampleOrDefault() {
    return assessment == null || assessment.sample() == null ? PlanDefaults.ASSESSMENT_SAMPLE : assessment.sample();
  }

  /** The plan's seeding, also for a plan that did not go through {@link #withDefaults()}. */
  @JsonIgnore
  public Seeding seedingOrDefault() {
    return seeding == null ? Seeding.logical() : seeding;
  }

  @JsonIgnore
  public boolean rehearsal() {
    return REHEARSAL.equals(mode);
  }

  /** The plan's choice, also for a plan that did not go through {@link #withDefaults()}. */
  @JsonIgnore
  public SubscriptionAuth subscriptionAuthOrDefault() {
    return subscriptionAuth == null ? SubscriptionAuth.stored() : subscriptionAuth;
  }

  @JsonIgnore
  public List<RetiredClient> retiredClientsOrNone() {
    return retiredClients == null ? List.of() : retiredClients;
  }

  /** The id every object the migration creates is named after (slot, publication, subscription). */
  public String objectName() {
    // A rehearsal may run beside the real migration on the same source, so its slot and
    // publication must not collide with the real ones.
    return (rehearsal() ? "phaseshift_r_" : "phaseshift_") + name.replace('-', '_');
  }

  public String workflowId() {
    return (rehearsal() ? "rehearsal-" : "migration-") + name;
  }
}
