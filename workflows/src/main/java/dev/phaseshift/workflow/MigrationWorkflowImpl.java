package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanValidator;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.workflow.Async;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * The migration as a durable state machine: PREPARE, MIGRATE, TEST, SWITCHOVER, VERIFY, RECOVERY,
 * OPTIMIZE. Deterministic: all I/O happens in activities; time comes from the workflow clock.
 */
public class MigrationWorkflowImpl implements MigrationWorkflow {
  private static final Logger log = Workflow.getLogger(MigrationWorkflowImpl.class);

  /** Copies that lose their snapshot start over at most this often before the run gives up. */
  static final int MAX_COPY_RESTARTS = 3;
  /** Attempts at a switchover whose lag did not drain within the freeze limit. */
  static final int MAX_SWITCHOVER_ATTEMPTS = 3;
  static final Duration LAG_POLL = Duration.ofSeconds(5);
  static final Duration SWITCHOVER_RETRY_PAUSE = Duration.ofSeconds(30);

  private final MigrationActivities steps = Workflow.newActivityStub(MigrationActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(30))
          .setHeartbeatTimeout(Duration.ofMinutes(2))
          .setRetryOptions(retries())
          .build());

  private MigrationPlan plan;
  private Phase phase = Phase.PREPARE;
  private String waitingFor = "";
  private int tablesTotal;
  private final List<TableCopyResult> copies = new ArrayList<>();
  private Lag lag;
  private ValidationResult validation;
  private SwitchoverResult switchover;
  private String primary = "source";
  private final List<Approval> approvals = new ArrayList<>();
  private final List<PhaseTiming> timings = new ArrayList<>();
  private String error;
  private long phaseStartMillis;
  private long copyMillis;

  static RetryOptions retries() {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2)
        .setMaximumInterval(Duration.ofMinutes(1))
        .setMaximumAttempts(10)
        .setDoNotRetry(FailureTypes.NON_RETRYABLE)
        .build();
  }

  @Override
  public MigrationReport run(MigrationPlan input) {
    List<String> problems = PlanValidator.problems(input);
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the plan has " + problems.size() + " problem(s); nothing was changed:\n- "
              + String.join("\n- ", problems), FailureTypes.INVALID_PLAN);
    }
    plan = input.withDefaults();
    phaseStartMillis = Workflow.currentTimeMillis();
    Assessment assessment = null;
    VerifyResult verify = null;
    List<TableStats> stats = List.of();
    try {
      enter(Phase.PREPARE, "assessing source and target");
      assessment = steps.assess(plan);
      if (!assessment.blockers().isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the assessment found " + assessment.blockers().size() + " blocker(s); nothing was changed:\n- "
                + assessment.blockers().stream().map(f -> f.subject() + ": " + f.message())
                    .collect(Collectors.joining("\n- ")), FailureTypes.PREREQUISITE);
      }
      tablesTotal = assessment.tables().size();
      waitingFor = "creating tables on the target";
      steps.createTargetSchema(plan);

      enter(Phase.MIGRATE, "copying tables");
      migrate(assessment.tables());
      waitForLagBelow(plan.cutover().maxLagBytes(), "change stream to catch up");

      enter(Phase.TEST, "validating source against target");
      validation = steps.validate(plan);
      if (!validation.passed()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "validation found " + validation.mismatches() + " mismatch(es); see the report's validation section",
            FailureTypes.VALIDATION_FAILED);
      }

      enter(Phase.SWITCHOVER, "");
      if (plan.approvalRequired()) {
        awaitApproval();
      }
      switchover = switchOver();
      primary = "target";
      // The switchover drained the stream completely; no more lag is measured after it.
      lag = new Lag(0, switchover.finalLsn(), switchover.finalLsn());

      enter(Phase.VERIFY, "checking the target takes writes and the source none");
      verify = steps.verify(plan);

      enter(Phase.RECOVERY, "");
      Duration retention = DurationText.parse(plan.retention());
      waitingFor = "retention window: old database kept until "
          + Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(retention);
      updateDetails();
      Workflow.sleep(retention);
      waitingFor = "decommissioning replication objects";
      steps.decommission(plan);

      enter(Phase.OPTIMIZE, "analyzing the target");
      stats = steps.optimize(plan);

      enter(Phase.COMPLETED, "");
      return report("COMPLETED", null, assessment, verify, stats);
    } catch (TemporalFailure failure) {
      Phase failedIn = phase;
      error = describe(failure);
      if (switchover == null) {
        compensate();
      }
      phase = Phase.FAILED;
      waitingFor = "";
      updateDetails();
      MigrationReport report = report("FAILED", failedIn, assessment, verify, stats);
      throw ApplicationFailure.newNonRetryableFailureWithCause(
          "migration " + plan.name() + " failed in " + failedIn + ": " + error
              + (switchover == null ? " (the source is as it was; the migration's objects were removed)" : ""),
          "MigrationFailed", failure, report);
    }
  }

  private void migrate(List<TableInfo> tables) {
    ChangeCapture capture;
    for (int restart = 0; ; restart++) {
      capture = steps.startChangeCapture(plan);
      try {
        copyAll(tables, capture);
        break;
      } catch (ActivityFailure failure) {
        if (!snapshotLost(failure) || restart + 1 >= MAX_COPY_RESTARTS) throw failure;
        log.warn("snapshot lost during the copy ({}); starting the copy over", describe(failure));
        waitingFor = "snapshot lost with its worker; starting the copy over";
        copies.clear();
        steps.resetCopy(plan);
      }
    }
    waitingFor = "building indexes and constraints on the target";
    updateDetails();
    steps.finishTargetSchema(plan);
    waitingFor = "attaching the change stream";
    steps.startChangeStream(plan, capture);
  }

  private void copyAll(List<TableInfo> tables, ChangeCapture capture) {
    long started = Workflow.currentTimeMillis();
    // The copy must read under the snapshot held by the worker that created the slot, so it goes
    // to that worker's own queue; if the worker is gone nothing picks it up, which we treat as a
    // lost snapshot.
    MigrationActivities copier = Workflow.newActivityStub(MigrationActivities.class,
        ActivityOptions.newBuilder()
            .setTaskQueue(capture.copyTaskQueue())
            .setScheduleToStartTimeout(Duration.ofMinutes(5))
            .setStartToCloseTimeout(Duration.ofHours(24))
            .setHeartbeatTimeout(Duration.ofMinutes(2))
            .setRetryOptions(retries())
            .build());
    List<TableInfo> largestFirst = new ArrayList<>(tables);
    largestFirst.sort(Comparator.comparingLong(TableInfo::bytes).reversed()
        .thenComparing(TableInfo::qualifiedName));
    int parallelism = plan.copyParallelism();
    int[] running = {0};
    List<ActivityFailure> failures = new ArrayList<>();
    for (TableInfo table : largestFirst) {
      Workflow.await(() -> running[0] < parallelism || !failures.isEmpty());
      if (!failures.isEmpty()) break;
      running[0]++;
      Promise<TableCopyResult> copy = Async.function(copier::copyTable, plan, capture, table);
      copy.handle((result, failure) -> {
        running[0]--;
        if (failure == null) {
          copies.add(result);
          updateDetails();
        } else {
          failures.add((ActivityFailure) failure);
        }
        return null;
      });
    }
    Workflow.await(() -> running[0] == 0);
    if (!failures.isEmpty()) throw failures.get(0);
    copyMillis = Workflow.currentTimeMillis() - started;
  }

  private static boolean snapshotLost(ActivityFailure failure) {
    Throwable cause = failure.getCause();
    if (cause instanceof ApplicationFailure app) {
      return FailureTypes.SNAPSHOT_LOST.equals(app.getType());
    }
    return cause instanceof TimeoutFailure timeout
        && timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START;
  }

  private void waitForLagBelow(long maxBytes, String what) {
    while (true) {
      lag = steps.measureLag(plan);
      if (lag.bytes() <= maxBytes) return;
      waitingFor = what + " (lag " + lag.bytes() + " bytes, limit " + maxBytes + ")";
      updateDetails();
      Workflow.sleep(LAG_POLL);
    }
  }

  private void awaitApproval() {
    waitingFor = "approval: send the 'approve' signal with {\"approver\": \"...\", \"comment\": \"...\"}";
    updateDetails();
    // Lag is refreshed while we wait so the status shows whether the target is keeping up.
    while (!Workflow.await(Duration.ofMinutes(1), () -> !approvals.isEmpty())) {
      lag = steps.measureLag(plan);
      updateDetails();
    }
  }

  private SwitchoverResult switchOver() {
    for (int attempt = 1; ; attempt++) {
      waitForLagBelow(plan.cutover().maxLagBytes(), "lag to fall below the freeze threshold");
      waitingFor = "switchover: writes frozen on the source until the target has every change";
      updateDetails();
      try {
        return steps.switchover(plan);
      } catch (ActivityFailure failure) {
        boolean lagNotDrained = failure.getCause() instanceof ApplicationFailure app
            && FailureTypes.LAG_NOT_DRAINED.equals(app.getType());
        if (!lagNotDrained || attempt >= MAX_SWITCHOVER_ATTEMPTS) throw failure;
        waitingFor = "switchover attempt " + attempt + " released: " + describe(failure)
            + "; trying again in " + SWITCHOVER_RETRY_PAUSE.toSeconds() + "s";
        updateDetails();
        Workflow.sleep(SWITCHOVER_RETRY_PAUSE);
      }
    }
  }

  private void compensate() {
    waitingFor = "undoing: removing replication objects, releasing any freeze";
    updateDetails();
    try {
      steps.undoChangeCapture(plan);
    } catch (TemporalFailure undoFailure) {
      error = error + "; cleanup failed too: " + describe(undoFailure)
          + " (remove the slot, publication and subscription named " + plan.objectName() + " by hand)";
    }
  }

  @Override
  public MigrationStatus status() {
    return new MigrationStatus(plan == null ? null : plan.name(), phase, waitingFor, tablesTotal,
        List.copyOf(copies), lag, validation, switchover == null ? null : switchover.writeFreezeMillis(),
        primary, List.copyOf(approvals), error);
  }

  @Override
  public void approve(Approval approval) {
    String approver = approval == null || approval.approver() == null ? "unknown" : approval.approver();
    approvals.add(new Approval(approver, approval == null ? null : approval.comment(),
        Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString()));
    log.info("switchover approved by {}", approver);
  }

  private void enter(Phase next, String doing) {
    long now = Workflow.currentTimeMillis();
    if (!timings.isEmpty() || phase != next) {
      timings.add(new PhaseTiming(phase, Instant.ofEpochMilli(phaseStartMillis).toString(), now - phaseStartMillis));
    }
    phase = next;
    phaseStartMillis = now;
    waitingFor = doing;
    updateDetails();
  }

  private void updateDetails() {
    StringBuilder md = new StringBuilder();
    md.append("| | |\n|---|---|\n");
    md.append("| Phase | ").append(phase).append(" |\n");
    if (!waitingFor.isEmpty()) md.append("| Waiting for | ").append(waitingFor).append(" |\n");
    if (tablesTotal > 0) {
      md.append("| Tables copied | ").append(copies.size()).append(" / ").append(tablesTotal).append(" |\n");
    }
    if (lag != null) md.append("| Lag | ").append(lag.bytes()).append(" bytes |\n");
    if (validation != null) {
      md.append("| Validation | ").append(validation.passed() ? "passed" : validation.mismatches() + " mismatch(es)")
          .append(" |\n");
    }
    if (switchover != null) md.append("| Write freeze | ").append(switchover.writeFreezeMillis()).append(" ms |\n");
    md.append("| Primary | ").append(primary).append(" |\n");
    if (error != null) md.append("| Error | ").append(error.replace("\n", " ")).append(" |\n");
    Workflow.setCurrentDetails(md.toString());
  }

  private MigrationReport report(String outcome, Phase failedIn, Assessment assessment,
      VerifyResult verify, List<TableStats> stats) {
    long copiedBytes = copies.stream().mapToLong(TableCopyResult::bytes).sum();
    double mibps = copyMillis == 0 ? 0 : (copiedBytes / 1048576.0) / (copyMillis / 1000.0);
    return new MigrationReport(plan.name(), outcome, failedIn, error, assessment, List.copyOf(copies),
        Math.round(mibps * 100) / 100.0, validation, switchover, verify, stats, List.copyOf(approvals),
        List.copyOf(timings));
  }

  private static String describe(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t instanceof ActivityFailure) t = t.getCause();
    if (t instanceof ApplicationFailure app) return app.getOriginalMessage();
    if (t instanceof TimeoutFailure timeout) return "timed out (" + timeout.getTimeoutType() + ")";
    return t.getMessage();
  }
}
