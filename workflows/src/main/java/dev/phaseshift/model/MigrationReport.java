package dev.phaseshift.model;

import java.util.List;

/** The workflow's result: everything an operator needs to sign the migration off as done. */
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
    RollbackResult rollback) {}
