package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Briefing;
import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SeedingResult;
import dev.phaseshift.model.Runbook;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.VerificationStatus;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RetiredClient;
import java.util.ArrayList;
import java.util.List;

/**
 * What one migration run knows about itself: the phase it is in, what it waits for, what it
 * measured and what operators decided. Plain data, no Temporal calls, so the operator rules and
 * the status rendering read it in unit tests as the workflow does at run time.
 */
final class MigrationState {
  MigrationPlan plan;
  Phase phase = Phase.PREPARE;
  String waitingFor = "";
  /** The step the run last started, as the Web UI names it; its attempts are Temporal's to show. */
  String step;
  String primary = "source";
  String error;

  Assessment assessment;
  int tablesTotal;
  final CopyTally copies = new CopyTally();
  long copyMillis;
  Lag lag;
  ValidationResult validation;
  SwitchoverResult switchover;
  VerifyResult verify;
  RollbackResult rollback;
  RehearsalResult rehearsal;
  /** A physical seeding's result; null for the logical copy, whose tally is {@link #copies}. */
  SeedingResult seeded;
  /** The switchover gate's last check of the target's access for the source's clients. */
  ClientAccess clientAccess;
  List<TableStats> tableStats = List.of();
  /** The verification window after the switchover; null until VERIFY starts it. */
  VerificationStatus verification;
  /** OPTIMIZE's advice on the new primary; null until OPTIMIZE gives it. */
  OptimizationAdvice optimization;
  /** PREPARE's workload report; null when sampling failed or the run did not get that far. */
  WorkloadReport workload;
  /** The runbook published at the sign-off wait; actuals are filled in for the report. */
  Runbook runbook;
  /** The rehearsal gate's last reading, when the plan requires a rehearsal. */
  RehearsalGate.Check rehearsalGate;
  /** When the switchover gate last opened: the moment the freeze began. */
  String gateOpenedAt;

  /** Clients operators retired while the run went on (retireClient), besides the plan's own. */
  final List<RetiredClient> retiredClients = new ArrayList<>();
  final List<Approval> approvals = new ArrayList<>();
  final List<Decision> decisions = new ArrayList<>();
  final List<PhaseTiming> timings = new ArrayList<>();

  boolean paused;
  boolean streamAttached;
  boolean freezeStarted;
  boolean rollbackRequested;
  /** The old database's change streams are being dropped: from here a rollback has nothing to go back to. */
  boolean decommissionStarted;
  boolean connectionSwitched;
  long retentionExtensionMillis;
  /** Why the run stops on an operator's (or the approval deadline's) word; null while it goes on. */
  String stopReason;

  /** The plan as the access check reads it: with the clients retired during the run. */
  MigrationPlan accessPlan() {
    return retiredClients.isEmpty() ? plan : plan.withRetiredClients(retiredClients);
  }

  /** From the first freeze on, the way back is a rollback, no longer an abort. */
  boolean switchoverStarted() {
    return freezeStarted || switchover != null;
  }

  boolean stopping() {
    return stopReason != null;
  }

  /** The run has ended: no step is running any more. */
  boolean stopped() {
    return phase == Phase.COMPLETED || phase == Phase.FAILED || phase == Phase.ABORTED || phase == Phase.ROLLED_BACK;
  }

  int approvalsRequired() {
    return plan.approval() == null ? 1 : plan.approval().required();
  }

  MigrationStatus status() {
    return new MigrationStatus(plan == null ? null : plan.name(), phase, waitingFor, tablesTotal,
        copies.listed(), lag, validation, switchover == null ? null : switchover.writeFreezeMillis(),
        primary, List.copyOf(approvals), error, List.copyOf(decisions), paused, rollback, copies.totals(),
        step, assessment == null ? 0 : assessment.totalBytes(), clientAccess, verification);
  }

  /** @param outcome COMPLETED, REHEARSED, ROLLED_BACK, or the phase the run ended in (FAILED, ABORTED) */
  MigrationReport report(String outcome, Phase failedIn) {
    double mibps = copyMillis == 0 ? 0 : (copies.bytes() / 1048576.0) / (copyMillis / 1000.0);
    return new MigrationReport(plan.name(), outcome, failedIn, error, assessment, copies.listed(),
        Math.round(mibps * 100) / 100.0, validation, switchover, verify, tableStats, List.copyOf(approvals),
        List.copyOf(timings), List.copyOf(decisions), rollback, rehearsal,
        // A seeded target copied no table one by one: no tally of zero tables, the seeding instead.
        seeded == null ? copies.totals() : null, clientAccess, verification, optimization,
        workload == null && runbook == null ? null
            : new Briefing(workload, runbook == null ? null : RunbookWriter.actuals(runbook, this)), seeded);
  }
}
