package dev.phaseshift.model;

import java.util.List;

/**
 * The workflow's result: everything an operator needs to sign the migration off as done.
 *
 * @param outcome   COMPLETED, REHEARSED, FAILED, ABORTED or ROLLED_BACK
 * @param rehearsal a rehearsal run's measurements; null for a real migration
 * @param copies    per-table copy results; beyond 100 tables a selection (the largest and slowest)
 * @param copyTotals the copy summed over every table; null in reports from before it existed
 * @param clientAccess the last check of the target's access for the clients the source showed;
 *                   null when no check ran (before the switchover's gate, or a rehearsal)
 * @param verification the verification window after the switchover; null when none ran
 * @param optimization OPTIMIZE's advice on the new primary; null when OPTIMIZE did not run
 * @param briefing  the workload report and the runbook with what happened at each step; null in
 *                  reports from before them
 * @param seeding   how a physically seeded target got its copy (then {@code copies} and
 *                  {@code copyTotals} are empty); null for the logical copy and in older reports
 */
public record MigrationReport(
    String name,
    String outcome,
    Phase failedIn,
    String error,
    Assessment assessment,
    List<TableCopyResult> copies,
    double copyThroughputMiBps,
    ValidationResult validation,
    SwitchoverResult switchover,
    VerifyResult verify,
    List<TableStats> tableStats,
    List<Approval> approvals,
    List<PhaseTiming> phases,
    List<Decision> decisions,
    RollbackResult rollback,
    RehearsalResult rehearsal,
    CopyTotals copyTotals,
    ClientAccess clientAccess,
    VerificationStatus verification,
    OptimizationAdvice optimization,
    Briefing briefing,
    SeedingResult seeding) {

  public MigrationReport(String name, String outcome, Phase failedIn, String error, Assessment assessment,
      List<TableCopyResult> copies, double copyThroughputMiBps, ValidationResult validation,
      SwitchoverResult switchover, VerifyResult verify, List<TableStats> tableStats, List<Approval> approvals,
      List<PhaseTiming> phases, List<Decision> decisions, RollbackResult rollback, RehearsalResult rehearsal,
      CopyTotals copyTotals, ClientAccess clientAccess, VerificationStatus verification,
      OptimizationAdvice optimization, Briefing briefing) {
    this(name, outcome, failedIn, error, assessment, copies, copyThroughputMiBps, validation, switchover, verify,
        tableStats, approvals, phases, decisions, rollback, rehearsal, copyTotals, clientAccess, verification,
        optimization, briefing, null);
  }

  public MigrationReport(String name, String outcome, Phase failedIn, String error, Assessment assessment,
      List<TableCopyResult> copies, double copyThroughputMiBps, ValidationResult validation,
      SwitchoverResult switchover, VerifyResult verify, List<TableStats> tableStats, List<Approval> approvals,
      List<PhaseTiming> phases, List<Decision> decisions, RollbackResult rollback, RehearsalResult rehearsal,
      CopyTotals copyTotals, ClientAccess clientAccess) {
    this(name, outcome, failedIn, error, assessment, copies, copyThroughputMiBps, validation, switchover, verify,
        tableStats, approvals, phases, decisions, rollback, rehearsal, copyTotals, clientAccess, null, null, null);
  }

  public MigrationReport(String name, String outcome, Phase failedIn, String error, Assessment assessment,
      List<TableCopyResult> copies, double copyThroughputMiBps, ValidationResult validation,
      SwitchoverResult switchover, VerifyResult verify, List<TableStats> tableStats, List<Approval> approvals,
      List<PhaseTiming> phases, List<Decision> decisions, RollbackResult rollback, RehearsalResult rehearsal,
      CopyTotals copyTotals) {
    this(name, outcome, failedIn, error, assessment, copies, copyThroughputMiBps, validation, switchover, verify,
        tableStats, approvals, phases, decisions, rollback, rehearsal, copyTotals, null);
  }

  public MigrationReport(String name, String outcome, Phase failedIn, String error, Assessment assessment,
      List<TableCopyResult> copies, double copyThroughputMiBps, ValidationResult validation,
      SwitchoverResult switchover, VerifyResult verify, List<TableStats> tableStats, List<Approval> approvals,
      List<PhaseTiming> phases, List<Decision> decisions, RollbackResult rollback) {
    this(name, outcome, failedIn, error, assessment, copies, copyThroughputMiBps, validation, switchover, verify,
        tableStats, approvals, phases, decisions, rollback, null, null);
  }

  /** Tables copied, also from a report without totals. */
  public int tablesCopied() {
    return copyTotals == null ? (copies == null ? 0 : copies.size()) : copyTotals.tables();
  }
}
