package dev.phaseshift.model;

import java.util.List;

/**
 * The workflow's result: everything an operator needs to sign the migration off as done.
 *
 * @param outcome   COMPLETED, REHEARSED, FAILED, ABORTED or ROLLED_BACK
 * @param rehearsal a rehearsal run's measurements; null for a real migration
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
    RehearsalResult rehearsal) {

  public MigrationReport(String name, String outcome, Phase failedIn, String error, Assessment assessment,
      List<TableCopyResult> copies, double copyThroughputMiBps, ValidationResult validation,
      SwitchoverResult switchover, VerifyResult verify, List<TableStats> tableStats, List<Approval> approvals,
      List<PhaseTiming> phases, List<Decision> decisions, RollbackResult rollback) {
    this(name, outcome, failedIn, error, assessment, copies, copyThroughputMiBps, validation, switchover, verify,
        tableStats, approvals, phases, decisions, rollback, null);
  }
}
