package dev.phaseshift.model;

import java.util.List;

/**
 * What the {@code status} query returns: where the migration is and what it waits for.
 *
 * @param waitingFor  what the workflow is blocked on right now, in words, or empty
 * @param copies      finished table copies (running ones show as pending activities' heartbeats); beyond
 *                    100 tables a selection: the largest and the slowest
 * @param copyTotals  the copy summed over every finished table
 * @param primary     {@code source} until switchover made the target primary, then {@code target}
 * @param approvals   approvals currently counted towards the switchover
 * @param decisions   the audit trail: every approval, rejection, abort, pause, rollback, accepted or not
 * @param step        the step the run last started (e.g. "copy public.orders"); its attempt and last
 *                    failure are on the workflow's pending activities
 * @param bytesTotal  the size of the selected tables on the source (from the assessment), for an
 *                    estimate of the copy's remaining time; 0 before the assessment
 * @param clientAccess the last check that the target admits every client the source showed; null
 *                    before the switchover's gate first checked
 * @param verification the verification window: its state, end, and each signal of the last sample;
 *                    null until VERIFY starts it
 */
public record MigrationStatus(
    String name,
    Phase phase,
    String waitingFor,
    int tablesTotal,
    List<TableCopyResult> copies,
    Lag lag,
    ValidationResult validation,
    Long writeFreezeMillis,
    String primary,
    List<Approval> approvals,
    String error,
    List<Decision> decisions,
    boolean paused,
    RollbackResult rollback,
    CopyTotals copyTotals,
    String step,
    long bytesTotal,
    ClientAccess clientAccess,
    VerificationStatus verification) {

  public MigrationStatus(String name, Phase phase, String waitingFor, int tablesTotal, List<TableCopyResult> copies,
      Lag lag, ValidationResult validation, Long writeFreezeMillis, String primary, List<Approval> approvals,
      String error, List<Decision> decisions, boolean paused, RollbackResult rollback, CopyTotals copyTotals,
      String step, long bytesTotal, ClientAccess clientAccess) {
    this(name, phase, waitingFor, tablesTotal, copies, lag, validation, writeFreezeMillis, primary, approvals, error,
        decisions, paused, rollback, copyTotals, step, bytesTotal, clientAccess, null);
  }

  public MigrationStatus(String name, Phase phase, String waitingFor, int tablesTotal, List<TableCopyResult> copies,
      Lag lag, ValidationResult validation, Long writeFreezeMillis, String primary, List<Approval> approvals,
      String error, List<Decision> decisions, boolean paused, RollbackResult rollback, CopyTotals copyTotals,
      String step, long bytesTotal) {
    this(name, phase, waitingFor, tablesTotal, copies, lag, validation, writeFreezeMillis, primary, approvals, error,
        decisions, paused, rollback, copyTotals, step, bytesTotal, null);
  }

  /** Tables whose copy finished, also from a status without totals. */
  public int tablesCopied() {
    return copyTotals == null ? copies.size() : copyTotals.tables();
  }
}
