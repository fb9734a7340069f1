package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.model.WindowSlot;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanValidator;
import dev.phaseshift.plan.RouterConfig;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeUpdate;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * The migration as a durable state machine: PREPARE, MIGRATE, TEST, SWITCHOVER, VERIFY, RECOVERY,
 * OPTIMIZE. Deterministic: all I/O happens in activities; time comes from the workflow clock.
 *
 * <p>Every forward step registers its undo before it runs (saga). Until the write freeze starts, an
 * abort, a rejection or a failure runs the undos in reverse order and leaves the source as it was.
 * After the switchover the way back is a rollback through reverse replication.
 */
public class MigrationWorkflowImpl implements MigrationWorkflow {
  private static final Logger log = Workflow.getLogger(MigrationWorkflowImpl.class);

  /**
   * Version gate for the safety net (sign-off policy, windows, guardrails, saga, router, reverse
   * replication, notifications). Runs started before it replay the original path.
   */
  static final String SAFETY_NET = "safety-net";

  /**
   * Version gate for the operator surfaces: search attributes per phase, activity summaries and
   * rehearsal runs. Each adds commands, so runs started before it replay without them.
   */
  static final String OPERATOR_SURFACES = "operator-surfaces";

  /**
   * Version gate for shared copies: table copies go to the shared task queue, so every worker
   * takes a share, instead of the queue of the worker that exported the snapshot. Decided when
   * the copy starts, so a run already copying keeps the queue it started with.
   */
  static final String SHARED_COPY = "shared-copy";

  /**
   * Version gate for batched copies: beyond {@link CopyBatching#PER_TABLE_UP_TO} tables, small
   * tables are copied in batches (CopyTables) so the history stays far below Temporal's event limit.
   * Decided when the copy starts; a run already copying keeps one activity per table.
   */
  static final String BATCHED_COPY = "batched-copy";

  /** Blockers named in the failure of an assessment; the report's assessment holds the rest. */
  static final int BLOCKERS_NAMED = 20;

  /** A rehearsal stops waiting for the target to catch up after this long and reports no forecast. */
  static final Duration REHEARSAL_DRAIN_LIMIT = Duration.ofMinutes(2);
  static final Duration REHEARSAL_DRAIN_POLL = Duration.ofMillis(500);

  /** Copies that lose their snapshot start over at most this often before the run gives up. */
  static final int MAX_COPY_RESTARTS = 3;
  /** Attempts at a switchover whose lag did not drain within the freeze limit. */
  static final int MAX_SWITCHOVER_ATTEMPTS = 3;
  static final Duration LAG_POLL = Duration.ofSeconds(5);
  static final Duration SWITCHOVER_RETRY_PAUSE = Duration.ofSeconds(30);
  static final Duration GUARDRAIL_RETRY = Duration.ofSeconds(30);

  /**
   * An abort waits for a running step to really end before the undo starts, so the undo never
   * races the step it undoes. No heartbeat timeout: schema builds and validations of large
   * databases run for a long time without per-row progress; only the copy heartbeats.
   */
  private static final ActivityOptions STEP_OPTIONS = ActivityOptions.newBuilder()
      .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
      .setStartToCloseTimeout(Duration.ofHours(6))
      .setRetryOptions(retries())
      .build();
  private final MigrationActivities steps = Workflow.newActivityStub(MigrationActivities.class, STEP_OPTIONS);

  /** Notifications are worth a few tries, never worth failing a migration for. */
  private final MigrationActivities notifier = Workflow.newActivityStub(MigrationActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build());

  private MigrationPlan plan;
  private boolean safetyNet;
  private boolean surfaces;
  private RehearsalResult rehearsal;
  private Phase phase = Phase.PREPARE;
  private String waitingFor = "";
  private int tablesTotal;
  private final CopyTally copies = new CopyTally();
  private Lag lag;
  private ValidationResult validation;
  private SwitchoverResult switchover;
  private RollbackResult rollback;
  private String primary = "source";
  private final List<Approval> approvals = new ArrayList<>();
  private final List<Decision> decisions = new ArrayList<>();
  private final List<PhaseTiming> timings = new ArrayList<>();
  private String error;
  private long phaseStartMillis;
  private long copyMillis;

  private boolean paused;
  private boolean streamAttached;
  private boolean freezeStarted;
  private String stopReason;
  private CancellationScope forward;
  private boolean rollbackRequested;
  private boolean connectionSwitched;
  private long retentionExtensionMillis;

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
    safetyNet = Workflow.getVersion(SAFETY_NET, Workflow.DEFAULT_VERSION, 1) >= 1;
    surfaces = Workflow.getVersion(OPERATOR_SURFACES, Workflow.DEFAULT_VERSION, 1) >= 1;
    if (surfaces) publishSearchAttributes();
    phaseStartMillis = Workflow.currentTimeMillis();
    Saga saga = new Saga(new Saga.Options.Builder().setContinueWithError(true).build());
    Assessment[] assessment = {null};
    VerifyResult[] verify = {null};
    List<List<TableStats>> stats = new ArrayList<>();
    try {
      forward = Workflow.newCancellationScope(() -> {
        assessment[0] = prepare(saga);
        migrate(assessment[0].allTables(), saga);
        test();
      });
      forward.run();
      if (stopReason != null) throw new CanceledFailure(stopReason);
      if (surfaces && plan.rehearsal()) return rehearse(assessment[0]);

      switchover = switchOver();
      primary = "target";
      // The switchover drained the stream completely; no more lag is measured after it.
      lag = new Lag(0, switchover.finalLsn(), switchover.finalLsn());
      if (safetyNet) {
        notify("switchover", "writes moved to the target after a " + switchover.writeFreezeMillis() + " ms freeze");
        awaitConnectionSwitch();
      }

      enter(Phase.VERIFY, "checking the target takes writes and the source none");
      verify[0] = step("verify the target takes writes").verify(plan);
      // After the check that nothing writes to the old database: from here on the reverse stream
      // does. It loses nothing by starting now, since its slot was created inside the freeze.
      if (safetyNet && plan.reverseReplication()) {
        step("start reverse replication").startReverseReplication(plan);
        if (!verify[0].passed()) {
          decide("rollback", "workflow", null, true, "automatic rollback: verify failed: " + verify[0]);
          rollbackRequested = true;
        }
      }

      enter(Phase.RECOVERY, "");
      keepOldDatabase();
      if (rollbackRequested) return rollBack(assessment[0], verify[0]);
      waitingFor = "decommissioning replication objects";
      updateDetails();
      step("decommission replication objects").decommission(plan);

      enter(Phase.OPTIMIZE, "analyzing the target");
      stats.add(step("analyze the target").optimize(plan));

      enter(Phase.COMPLETED, "");
      if (safetyNet) notify("completed", "migration completed; the target is the primary");
      return report("COMPLETED", null, assessment[0], verify[0], stats.isEmpty() ? List.of() : stats.get(0));
    } catch (TemporalFailure failure) {
      Phase failedIn = phase;
      boolean stopped = stopReason != null && (failure instanceof CanceledFailure || isCancellation(failure));
      error = stopped ? stopReason : describe(failure);
      if (switchover == null) compensate(saga);
      phase = stopped ? Phase.ABORTED : Phase.FAILED;
      if (surfaces) publishPhase();
      waitingFor = "";
      updateDetails();
      if (safetyNet) notify(stopped ? "aborted" : "failed", "in " + failedIn + ": " + error);
      MigrationReport report = report(phase.name(), failedIn, assessment[0], verify[0], List.of());
      String undone = switchover == null ? " (the source is as it was; the migration's objects were removed)" : "";
      throw ApplicationFailure.newNonRetryableFailureWithCause(
          "migration " + plan.name() + (stopped ? " aborted in " : " failed in ") + failedIn + ": " + error + undone,
          stopped ? "MigrationAborted" : "MigrationFailed", failure, report);
    }
  }

  private Assessment prepare(Saga saga) {
    enter(Phase.PREPARE, "assessing source and target");
    Assessment assessment = step("assess source and target").assess(plan);
    List<Finding> blockers = assessment.blockers();
    if (!blockers.isEmpty()) {
      // Bounded: a schema of 10,000 tables can have 10,000 blockers, and the message is stored in the history.
      String more = blockers.size() > BLOCKERS_NAMED
          ? "\n- and " + (blockers.size() - BLOCKERS_NAMED) + " more (see the assessment: phaseshift plan)" : "";
      throw ApplicationFailure.newNonRetryableFailure(
          "the assessment found " + blockers.size() + " blocker(s); nothing was changed:\n- "
              + blockers.stream().limit(BLOCKERS_NAMED).map(f -> f.subject() + ": " + f.message())
                  .collect(Collectors.joining("\n- ")) + more, FailureTypes.PREREQUISITE);
    }
    tablesTotal = assessment.tableCount();
    waitingFor = "creating tables on the target";
    if (safetyNet && (plan.targetDisposable() || plan.rehearsal())) saga.addCompensation(steps::dropTargetObjects, plan);
    step("create tables on the target").createTargetSchema(plan);
    return assessment;
  }

  private void migrate(List<TableInfo> tables, Saga saga) {
    enter(Phase.MIGRATE, "copying tables");
    if (safetyNet) saga.addCompensation(steps::undoChangeCapture, plan);
    ChangeCapture capture;
    for (int restart = 0; ; restart++) {
      capture = step("create publication and slot").startChangeCapture(plan);
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
    step("build indexes and constraints").finishTargetSchema(plan);
    waitingFor = "attaching the change stream";
    step("attach the change stream").startChangeStream(plan, capture);
    streamAttached = true;
    if (paused) steps.pauseChangeStream(plan);
    waitForLagBelow(plan.cutover().maxLagBytes(), "change stream to catch up");
  }

  /**
   * Copies every table not copied yet, at most {@code copyParallelism} at once. A pause cancels
   * the running copies (their chunks already committed stay) and the loop picks up after resume.
   */
  private void copyAll(List<TableInfo> tables, ChangeCapture capture) {
    long started = Workflow.currentTimeMillis();
    boolean shared = Workflow.getVersion(SHARED_COPY, Workflow.DEFAULT_VERSION, 1) >= 1;
    ActivityOptions.Builder options = ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofHours(24))
        .setHeartbeatTimeout(Duration.ofMinutes(2))
        .setRetryOptions(retries());
    if (shared) {
      // Any worker can import the exported snapshot while the one that exported it lives; when
      // it dies the import fails as SNAPSHOT_LOST. Eager dispatch would hand every copy to the
      // worker running this workflow task, so copies wait on the queue for whichever worker is free.
      options.setDisableEagerExecution(true);
    } else {
      // Runs started before shared copies send them to the exporting worker's own queue; if that
      // worker is gone nothing picks them up, which counts as a lost snapshot.
      options.setTaskQueue(capture.copyTaskQueue()).setScheduleToStartTimeout(Duration.ofMinutes(5));
    }
    if (safetyNet) {
      // A paused copy must really have stopped before it may run again, or two attempts would
      // write the same table.
      options.setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
    }
    ActivityOptions copyOptions = options.build();
    List<TableInfo> largestFirst = new ArrayList<>(tables);
    largestFirst.sort(Comparator.comparingLong(TableInfo::bytes).reversed()
        .thenComparing(TableInfo::qualifiedName));
    int parallelism = plan.copyParallelism();
    boolean batched = Workflow.getVersion(BATCHED_COPY, Workflow.DEFAULT_VERSION, 1) >= 1;
    List<CopyBatch> batches = batched ? CopyBatching.batches(largestFirst, parallelism)
        : CopyBatching.oneEach(largestFirst);
    Set<Integer> done = new HashSet<>();
    while (true) {
      int[] running = {0};
      List<ActivityFailure> failures = new ArrayList<>();
      CancellationScope round = Workflow.newCancellationScope(() -> {
        for (int i = 0; i < batches.size(); i++) {
          if (done.contains(i)) continue;
          Workflow.await(() -> running[0] < parallelism || !failures.isEmpty() || paused);
          if (!failures.isEmpty() || paused) break;
          running[0]++;
          int index = i;
          CopyBatch batch = batches.get(i);
          Promise<List<TableCopyResult>> copy = startCopy(batch, capture, copyOptions);
          copy.handle((results, failure) -> {
            running[0]--;
            if (failure == null) {
              done.add(index);
              results.forEach(copies::add);
              copies.activityFinished();
              updateDetails();
            } else if (!(paused && isCancellation(failure))) {
              failures.add((ActivityFailure) failure);
            }
            return null;
          });
        }
      });
      round.run();
      Workflow.await(() -> running[0] == 0 || paused);
      if (paused && running[0] > 0) {
        round.cancel();
        Workflow.await(() -> running[0] == 0);
      }
      if (!failures.isEmpty()) throw failures.get(0);
      if (done.size() == batches.size()) break;
      waitingFor = "paused: send the 'resume' signal to continue the copy";
      updateDetails();
      Workflow.await(() -> !paused);
      waitingFor = "copying tables";
      updateDetails();
    }
    copyMillis = Workflow.currentTimeMillis() - started;
  }

  /** A table alone goes to CopyTable, as every table did before batching; a batch to CopyTables. */
  private Promise<List<TableCopyResult>> startCopy(CopyBatch batch, ChangeCapture capture,
      ActivityOptions copyOptions) {
    if (batch.tables().size() == 1) {
      TableInfo table = batch.tables().get(0);
      MigrationActivities copier = Workflow.newActivityStub(MigrationActivities.class, surfaces
          ? ActivityOptions.newBuilder(copyOptions).setSummary("copy " + table.qualifiedName()).build()
          : copyOptions);
      return Async.function(copier::copyTable, plan, capture, table).thenApply(List::of);
    }
    MigrationActivities copier = Workflow.newActivityStub(MigrationActivities.class, surfaces
        ? ActivityOptions.newBuilder(copyOptions).setSummary("copy " + batch.tables().size() + " tables ("
            + batch.label() + ", " + batch.bytes() + " bytes)").build()
        : copyOptions);
    return Async.function(copier::copyTables, plan, capture, batch).thenApply(BatchCopyResult::tables);
  }

  private void test() {
    enter(Phase.TEST, "validating source against target");
    validation = step("validate source against target").validate(plan);
    if (!validation.passed()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "validation found " + validation.mismatches() + " mismatch(es); see the report's validation section",
          FailureTypes.VALIDATION_FAILED);
    }
  }

  private static boolean snapshotLost(ActivityFailure failure) {
    Throwable cause = failure.getCause();
    if (cause instanceof ApplicationFailure app) {
      return FailureTypes.SNAPSHOT_LOST.equals(app.getType());
    }
    return cause instanceof TimeoutFailure timeout
        && timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START;
  }

  private static boolean isCancellation(Throwable failure) {
    return failure instanceof CanceledFailure
        || (failure instanceof ActivityFailure && failure.getCause() instanceof CanceledFailure);
  }

  private void waitForLagBelow(long maxBytes, String what) {
    while (true) {
      checkStop();
      lag = steps.measureLag(plan);
      if (lag.bytes() <= maxBytes && !paused) return;
      waitingFor = paused ? "paused: send the 'resume' signal; lag " + lag.bytes() + " bytes"
          : what + " (lag " + lag.bytes() + " bytes, limit " + maxBytes + ")";
      updateDetails();
      Workflow.sleep(LAG_POLL);
    }
  }

  /**
   * Waits until everything the plan asks for holds at the same time — enough approvals, an open
   * maintenance window with room for the freeze, lag under the threshold, a fresh validation and
   * no long write transaction — then switches over. An approval whose conditions lapse (lag, a
   * failed re-validation) is withdrawn and must be given again.
   */
  private SwitchoverResult switchOver() {
    enter(Phase.SWITCHOVER, "");
    if (!safetyNet) {
      if (plan.approvalRequired()) awaitApprovalOriginal();
      return switchOverOriginal();
    }
    boolean approvalAnnounced = false;
    long approvalWaitStart = Workflow.currentTimeMillis();
    for (int attempt = 1; ; ) {
      checkStop();
      if (plan.approvalRequired()) {
        if (!approvalAnnounced) {
          notify("approval-needed", "switchover of " + plan.name() + " waits for " + plan.approval().required()
              + " approval(s)");
          approvalAnnounced = true;
        }
        awaitApprovals(approvalWaitStart);
      }
      if (!plan.maintenanceWindows().isEmpty() && !inWindowWithRoomForFreeze()) continue;
      lag = steps.measureLag(plan);
      if (lag.bytes() > plan.cutover().maxLagBytes()) {
        withdrawApprovals("lag " + lag.bytes() + " bytes rose above the threshold of " + plan.cutover().maxLagBytes());
        waitForLagBelow(plan.cutover().maxLagBytes(), "lag to fall below the freeze threshold");
        continue;
      }
      if (plan.approvalRequired()) {
        waitingFor = "re-validating before the freeze";
        updateDetails();
        validation = steps.validate(plan);
        if (!validation.passed()) {
          withdrawApprovals("re-validation found " + validation.mismatches() + " mismatch(es)");
          Workflow.sleep(GUARDRAIL_RETRY);
          continue;
        }
      }
      List<String> longTransactions = steps.longWriteTransactions(plan);
      if (!longTransactions.isEmpty()) {
        waitingFor = "long-running write transactions on the source: " + String.join("; ", longTransactions);
        updateDetails();
        Workflow.sleep(GUARDRAIL_RETRY);
        continue;
      }
      checkStop();
      waitingFor = "switchover: writes frozen on the source until the target has every change";
      freezeStarted = true;
      updateDetails();
      try {
        return step("switchover: freeze writes, drain, hand over").switchover(plan);
      } catch (ActivityFailure failure) {
        freezeStarted = false;
        if (!lagNotDrained(failure) || attempt >= MAX_SWITCHOVER_ATTEMPTS) throw failure;
        decide("switchover", "workflow", null, false, describe(failure));
        waitingFor = "switchover attempt " + attempt + " released: " + describe(failure)
            + "; trying again in " + SWITCHOVER_RETRY_PAUSE.toSeconds() + "s";
        updateDetails();
        attempt++;
        Workflow.sleep(SWITCHOVER_RETRY_PAUSE);
      }
    }
  }

  private void checkStop() {
    if (stopReason != null) throw new CanceledFailure(stopReason);
  }

  private boolean inWindowWithRoomForFreeze() {
    long now = Workflow.currentTimeMillis();
    WindowSlot slot = steps.nextMaintenanceWindow(plan, now);
    if (slot == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no maintenance window is left in the plan; add one (maintenanceWindows) and start again",
          FailureTypes.PREREQUISITE);
    }
    long freeze = DurationText.parse(plan.cutover().maxFreeze()).toMillis();
    if (now >= slot.startMillis() && slot.endMillis() - now >= freeze) return true;
    long until = now < slot.startMillis() ? slot.startMillis() : slot.endMillis();
    waitingFor = (now < slot.startMillis() ? "maintenance window opening at " : "next maintenance window; the current one ends too soon for a freeze of up to "
        + plan.cutover().maxFreeze() + ", at ") + Instant.ofEpochMilli(until);
    updateDetails();
    Workflow.await(Duration.ofMillis(Math.max(1, until - now)), () -> stopReason != null);
    checkStop();
    return false;
  }

  private void awaitApprovals(long waitStart) {
    Duration deadline = plan.approval().deadline() == null ? null : DurationText.parse(plan.approval().deadline());
    boolean deadlineReported = false;
    while (approvals.size() < plan.approval().required()) {
      checkStop();
      waitingFor = "approval: " + approvals.size() + " of " + plan.approval().required()
          + " given; send the 'approve' update or signal with {\"approver\": \"...\", \"comment\": \"...\"}";
      updateDetails();
      Duration wait = Duration.ofMinutes(1);
      long overdueAt = deadline == null ? Long.MAX_VALUE : waitStart + deadline.toMillis();
      long now = Workflow.currentTimeMillis();
      if (!deadlineReported && overdueAt - now < wait.toMillis()) wait = Duration.ofMillis(Math.max(1, overdueAt - now));
      boolean woke = Workflow.await(wait,
          () -> approvals.size() >= plan.approval().required() || stopReason != null);
      if (!woke) {
        if (!deadlineReported && Workflow.currentTimeMillis() >= overdueAt) {
          deadlineReported = true;
          notify("approval-deadline", "no approval within " + plan.approval().deadline());
          if ("abort".equals(plan.approval().onDeadline())) {
            stopReason = "no approval within the deadline of " + plan.approval().deadline();
            decide("abort", "workflow", null, true, stopReason);
            throw new CanceledFailure(stopReason);
          }
        }
        lag = steps.measureLag(plan);
        updateDetails();
      }
    }
  }

  private void withdrawApprovals(String reason) {
    if (approvals.isEmpty()) return;
    for (Approval a : approvals) decide("withdraw", "workflow", a.approver(), true, reason);
    approvals.clear();
    log.info("approvals withdrawn: {}", reason);
  }

  private void awaitApprovalOriginal() {
    waitingFor = "approval: send the 'approve' signal with {\"approver\": \"...\", \"comment\": \"...\"}";
    updateDetails();
    while (!Workflow.await(Duration.ofMinutes(1), () -> !approvals.isEmpty())) {
      lag = steps.measureLag(plan);
      updateDetails();
    }
  }

  private SwitchoverResult switchOverOriginal() {
    for (int attempt = 1; ; attempt++) {
      waitForLagBelow(plan.cutover().maxLagBytes(), "lag to fall below the freeze threshold");
      waitingFor = "switchover: writes frozen on the source until the target has every change";
      updateDetails();
      try {
        return steps.switchover(plan);
      } catch (ActivityFailure failure) {
        if (!lagNotDrained(failure) || attempt >= MAX_SWITCHOVER_ATTEMPTS) throw failure;
        waitingFor = "switchover attempt " + attempt + " released: " + describe(failure)
            + "; trying again in " + SWITCHOVER_RETRY_PAUSE.toSeconds() + "s";
        updateDetails();
        Workflow.sleep(SWITCHOVER_RETRY_PAUSE);
      }
    }
  }

  private static boolean lagNotDrained(ActivityFailure failure) {
    return failure.getCause() instanceof ApplicationFailure app
        && FailureTypes.LAG_NOT_DRAINED.equals(app.getType());
  }

  private void awaitConnectionSwitch() {
    if (!RouterConfig.MANUAL.equals(plan.router().typeOrDefault())) return;
    waitingFor = "connectionSwitched: point the application at the target, then send the 'connectionSwitched' signal";
    updateDetails();
    Workflow.await(() -> connectionSwitched || rollbackRequested);
  }

  /** RECOVERY: the old database is kept (and kept current) for the retention window, which may grow. */
  private void keepOldDatabase() {
    long until = Workflow.currentTimeMillis() + DurationText.parse(plan.retention()).toMillis();
    while (!rollbackRequested) {
      long deadline = until + retentionExtensionMillis;
      long now = Workflow.currentTimeMillis();
      if (now >= deadline) return;
      waitingFor = "retention window: old database kept until " + Instant.ofEpochMilli(deadline)
          + (safetyNet ? "; send 'rollback' to move writes back" : "");
      updateDetails();
      long extension = retentionExtensionMillis;
      if (safetyNet) {
        Workflow.await(Duration.ofMillis(deadline - now), () -> rollbackRequested || retentionExtensionMillis != extension);
      } else {
        Workflow.sleep(Duration.ofMillis(deadline - now));
      }
    }
  }

  private MigrationReport rollBack(Assessment assessment, VerifyResult verify) {
    waitingFor = "rollback: writes frozen on the target until the old database has every change";
    updateDetails();
    rollback = steps.rollback(plan);
    primary = "source";
    notify("rollback", "writes moved back to the old database after a " + rollback.writePauseMillis() + " ms pause");
    if (RouterConfig.MANUAL.equals(plan.router().typeOrDefault())) {
      connectionSwitched = false;
      waitingFor = "connectionSwitched: point the application back at the old database, then send 'connectionSwitched'";
      updateDetails();
      Workflow.await(() -> connectionSwitched);
    }
    waitingFor = "decommissioning replication objects";
    updateDetails();
    steps.decommission(plan);
    enter(Phase.ROLLED_BACK, "");
    return report("ROLLED_BACK", null, assessment, verify, List.of());
  }

  private void compensate(Saga saga) {
    waitingFor = "undoing: removing replication objects, releasing any freeze";
    updateDetails();
    CancellationScope undo = Workflow.newDetachedCancellationScope(() -> {
      if (safetyNet) {
        saga.compensate();
      } else {
        steps.undoChangeCapture(plan);
      }
    });
    try {
      undo.run();
    } catch (TemporalFailure undoFailure) {
      error = error + "; cleanup failed too: " + describe(undoFailure)
          + " (remove the slot, publication and subscription named " + plan.objectName() + " by hand)";
    }
  }

  private void notify(String event, String message) {
    Notification n = new Notification(event, plan.name(), phase.name(), message,
        Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString());
    // Detached: a notification after an abort must still go out.
    Workflow.newDetachedCancellationScope(() -> {
      try {
        notifier.sendNotification(plan, n);
      } catch (ActivityFailure failure) {
        log.warn("notification '{}' not delivered: {}", event, describe(failure));
      }
    }).run();
  }

  // ---- signals, updates, query ----

  @Override
  public MigrationStatus status() {
    return new MigrationStatus(plan == null ? null : plan.name(), phase, waitingFor, tablesTotal,
        copies.listed(), lag, validation, switchover == null ? null : switchover.writeFreezeMillis(),
        primary, List.copyOf(approvals), error, List.copyOf(decisions), paused, rollback, copies.totals());
  }

  @Override
  public void approve(Approval approval) {
    if (!safetyNet) {
      approvals.add(stamp(approval));
      return;
    }
    String refused = approvalRefusal(approval);
    decide("approve", approverOf(approval), approval == null ? null : approval.comment(), refused == null, refused);
    if (refused == null) approvals.add(stamp(approval));
  }

  @Override
  public Decision approveUpdate(Approval approval) {
    approvals.add(stamp(approval));
    return decide("approve", approverOf(approval), approval.comment(), true,
        approvals.size() + " of " + plan.approval().required() + " approvals");
  }

  @Override
  public void validateApprove(Approval approval) {
    String refused = approvalRefusal(approval);
    if (refused != null) throw new IllegalArgumentException(refused);
  }

  /** Why the plan's policy refuses this approval now, or null when it counts. */
  private String approvalRefusal(Approval approval) {
    if (plan == null) return "the migration has not started yet";
    String approver = approval == null ? null : approval.approver();
    if (approver == null || approver.isBlank()) return "name the approver: {\"approver\": \"...\", \"comment\": \"...\"}";
    if (!plan.approvalRequired()) return "this migration's plan needs no approval (approvalRequired: false)";
    if (freezeStarted || switchover != null) return "the switchover has already started";
    if (stopReason != null || phase == Phase.FAILED || phase == Phase.ABORTED) return "the migration is stopping: " + stopReason;
    List<String> allowed = plan.approval().approvers();
    if (!allowed.isEmpty() && !allowed.contains(approver)) {
      return approver + " is not an approver of this migration; the plan names " + String.join(", ", allowed);
    }
    if (!plan.approval().requesterMayApprove() && approver.equals(plan.requestedBy())) {
      return approver + " requested this migration and may not approve it (four-eyes rule); ask another approver";
    }
    if (approvals.stream().anyMatch(a -> a.approver().equals(approver))) {
      return approver + " has already approved; " + plan.approval().required() + " distinct approvers are needed";
    }
    return null;
  }

  @Override
  public void reject(Approval rejection) {
    String refused = rejectionRefusal(rejection);
    decide("reject", approverOf(rejection), rejection == null ? null : rejection.comment(), refused == null, refused);
    if (refused == null) stop("rejected by " + rejection.approver() + commentOf(rejection.comment()));
  }

  @Override
  public Decision rejectUpdate(Approval rejection) {
    Decision d = decide("reject", approverOf(rejection), rejection.comment(), true, "the migration is undone");
    stop("rejected by " + rejection.approver() + commentOf(rejection.comment()));
    return d;
  }

  @Override
  public void validateReject(Approval rejection) {
    String refused = rejectionRefusal(rejection);
    if (refused != null) throw new IllegalArgumentException(refused);
  }

  private String rejectionRefusal(Approval rejection) {
    if (plan == null) return "the migration has not started yet";
    String by = rejection == null ? null : rejection.approver();
    if (by == null || by.isBlank()) return "name who rejects: {\"approver\": \"...\", \"comment\": \"...\"}";
    List<String> allowed = plan.approval().approvers();
    if (!allowed.isEmpty() && !allowed.contains(by)) {
      return by + " is not an approver of this migration; the plan names " + String.join(", ", allowed);
    }
    return stopRefusal();
  }

  private String stopRefusal() {
    if (freezeStarted || switchover != null) {
      return "the switchover has already started; after it, send 'rollback' to move writes back";
    }
    if (stopReason != null) return "the migration is already stopping: " + stopReason;
    return null;
  }

  @Override
  public void abort(OperatorRequest request) {
    String refused = plan == null ? "the migration has not started yet" : stopRefusal();
    decide("abort", byOf(request), request == null ? null : request.comment(), refused == null, refused);
    if (refused == null) stop("aborted by " + byOf(request) + commentOf(request == null ? null : request.comment()));
  }

  private void stop(String reason) {
    stopReason = reason;
    if (forward != null) forward.cancel(reason);
  }

  @Override
  public void pause(OperatorRequest request) {
    String refused = paused ? "already paused" : freezeStarted || switchover != null ? "the switchover has started" : null;
    decide("pause", byOf(request), request == null ? null : request.comment(), refused == null, refused);
    if (refused != null) return;
    paused = true;
    // Once the stream runs, pausing means stopping the apply on the target; the slot keeps the position.
    if (streamAttached) Workflow.newDetachedCancellationScope(() -> steps.pauseChangeStream(plan)).run();
  }

  @Override
  public void resume(OperatorRequest request) {
    String refused = paused ? null : "not paused";
    decide("resume", byOf(request), request == null ? null : request.comment(), refused == null, refused);
    if (refused != null) return;
    if (streamAttached) Workflow.newDetachedCancellationScope(() -> steps.resumeChangeStream(plan)).run();
    paused = false;
  }

  @Override
  public void rollback(OperatorRequest request) {
    String refused = rollbackRefusal();
    decide("rollback", byOf(request), request == null ? null : request.comment(), refused == null, refused);
    if (refused == null) rollbackRequested = true;
  }

  @Override
  public Decision rollbackUpdate(OperatorRequest request) {
    rollbackRequested = true;
    return decide("rollback", byOf(request), request.comment(), true, "writes move back to the old database");
  }

  @Override
  public void validateRollback(OperatorRequest request) {
    if (request == null || request.by() == null || request.by().isBlank()) {
      throw new IllegalArgumentException("name who asks for the rollback: {\"by\": \"...\", \"comment\": \"why\"}");
    }
    String refused = rollbackRefusal();
    if (refused != null) throw new IllegalArgumentException(refused);
  }

  private String rollbackRefusal() {
    if (plan == null) return "the migration has not started yet";
    if (phase != Phase.VERIFY && phase != Phase.RECOVERY && !(phase == Phase.SWITCHOVER && switchover != null)) {
      return "rollback is possible after the switchover, during VERIFY and RECOVERY; the migration is in " + phase
          + (switchover == null ? " (before switchover, send 'abort' instead)" : "");
    }
    if (!plan.reverseReplication()) return "the plan turned reverse replication off, so the old database is not current";
    if (rollbackRequested) return "a rollback is already under way";
    return null;
  }

  @Override
  public void connectionSwitched(OperatorRequest request) {
    decide("connection-switched", byOf(request), request == null ? null : request.comment(), true, null);
    connectionSwitched = true;
  }

  @Override
  public void extendRetention(RetentionExtension request) {
    String by = request == null || request.by() == null ? "unknown" : request.by();
    String refused = request == null || !DurationText.isValid(request.extendBy())
        ? "extendBy must be a duration such as 24h" : phase.ordinal() > Phase.RECOVERY.ordinal() ? "the retention window is over" : null;
    decide("extend-retention", by, request == null ? null : request.comment(), refused == null,
        refused == null ? "by " + request.extendBy() : refused);
    if (refused == null) retentionExtensionMillis += DurationText.parse(request.extendBy()).toMillis();
  }

  private Decision decide(String action, String by, String comment, boolean accepted, String reason) {
    Decision d = new Decision(action, by, Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString(), comment,
        accepted, reason);
    decisions.add(d);
    log.info("{} by {}: {}{}", action, by, accepted ? "accepted" : "refused", reason == null ? "" : " (" + reason + ")");
    if (plan != null) updateDetails();
    return d;
  }

  private Approval stamp(Approval approval) {
    return new Approval(approverOf(approval), approval == null ? null : approval.comment(),
        Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString());
  }

  private static String approverOf(Approval a) {
    return a == null || a.approver() == null ? "unknown" : a.approver();
  }

  private static String byOf(OperatorRequest r) {
    return r == null || r.by() == null ? "unknown" : r.by();
  }

  private static String commentOf(String comment) {
    return comment == null || comment.isBlank() ? "" : ": " + comment;
  }

  // ---- rehearsal ----

  /**
   * After a rehearsal's copy and validation: measures how long the target takes to catch up with
   * the source's current position (the work a switchover's freeze waits for), then removes the
   * change capture and everything created on the scratch target.
   */
  private MigrationReport rehearse(Assessment assessment) {
    waitingFor = "rehearsal: measuring how fast the target catches up (write-freeze forecast)";
    updateDetails();
    long measured = Workflow.currentTimeMillis();
    MigrationActivities lagProbe = step("rehearsal: measure lag");
    Lag first = lagProbe.measureLag(plan);
    lag = first;
    long forecast = -1;
    while (Workflow.currentTimeMillis() - measured < REHEARSAL_DRAIN_LIMIT.toMillis()) {
      if (lsn(lag.confirmedLsn()) >= lsn(first.sourceLsn())) {
        forecast = Workflow.currentTimeMillis() - measured;
        break;
      }
      Workflow.sleep(REHEARSAL_DRAIN_POLL);
      lag = lagProbe.measureLag(plan);
    }
    waitingFor = "rehearsal: removing the change capture and the target's objects";
    updateDetails();
    step("rehearsal: remove slot and publication").undoChangeCapture(plan);
    step("rehearsal: drop the target's objects").dropTargetObjects(plan);
    long copiedBytes = copies.bytes();
    rehearsal = new RehearsalResult(copyMillis, copiedBytes, validation.millis(), first.bytes(), forecast, true);
    enter(Phase.COMPLETED, "");
    notify("rehearsed", "rehearsal completed: copy " + copyMillis + " ms, freeze forecast "
        + (forecast < 0 ? "unknown (the target did not catch up)" : forecast + " ms"));
    return report("REHEARSED", null, assessment, null, List.of());
  }

  /** PostgreSQL's textual LSN ({@code 16/B374D848}) as a number; -1 when unknown. */
  static long lsn(String text) {
    if (text == null || text.indexOf('/') < 0) return -1;
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
  }

  // ---- bookkeeping ----

  /** The steps stub with a summary the Web UI shows on the activity; plain on runs before the gate. */
  private MigrationActivities step(String summary) {
    if (!surfaces) return steps;
    return Workflow.newActivityStub(MigrationActivities.class,
        ActivityOptions.newBuilder(STEP_OPTIONS).setSummary(summary).build());
  }

  private void publishSearchAttributes() {
    List<SearchAttributeUpdate<?>> updates = new ArrayList<>();
    updates.add(MigrationSearchAttributes.PHASE.valueSet(phase.name()));
    updates.add(MigrationSearchAttributes.SOURCE_HOST.valueSet(MigrationSearchAttributes.host(plan.source())));
    updates.add(MigrationSearchAttributes.TARGET_HOST.valueSet(MigrationSearchAttributes.host(plan.target())));
    if (plan.requestedBy() != null && !plan.requestedBy().isBlank()) {
      updates.add(MigrationSearchAttributes.REQUESTER.valueSet(plan.requestedBy()));
    }
    Workflow.upsertTypedSearchAttributes(updates.toArray(new SearchAttributeUpdate<?>[0]));
  }

  private void publishPhase() {
    Workflow.upsertTypedSearchAttributes(MigrationSearchAttributes.PHASE.valueSet(phase.name()));
  }

  private void enter(Phase next, String doing) {
    long now = Workflow.currentTimeMillis();
    boolean changed = phase != next;
    if (changed) {
      timings.add(new PhaseTiming(phase, Instant.ofEpochMilli(phaseStartMillis).toString(), now - phaseStartMillis));
      phaseStartMillis = now;
    }
    phase = next;
    if (changed && surfaces) publishPhase();
    waitingFor = doing;
    updateDetails();
  }

  private void updateDetails() {
    StringBuilder md = new StringBuilder();
    md.append("| | |\n|---|---|\n");
    md.append("| Phase | ").append(phase).append(paused ? " (paused)" : "").append(" |\n");
    if (plan != null && plan.rehearsal()) md.append("| Mode | rehearsal: scratch target, torn down at the end |\n");
    if (!waitingFor.isEmpty()) md.append("| Waiting for | ").append(waitingFor).append(" |\n");
    if (tablesTotal > 0) {
      md.append("| Tables copied | ").append(copies.tables()).append(" / ").append(tablesTotal).append(" |\n");
    }
    if (lag != null) md.append("| Lag | ").append(lag.bytes()).append(" bytes |\n");
    if (validation != null) {
      md.append("| Validation | ").append(validation.passed() ? "passed" : validation.mismatches() + " mismatch(es)")
          .append(" |\n");
    }
    if (plan != null && plan.approvalRequired()) {
      md.append("| Approvals | ").append(approvals.size()).append(" / ").append(plan.approval() == null ? 1 : plan.approval().required())
          .append(approvals.isEmpty() ? "" : " (" + approvals.stream().map(Approval::approver).collect(Collectors.joining(", ")) + ")")
          .append(" |\n");
    }
    if (rehearsal != null) {
      md.append("| Copy time | ").append(rehearsal.copyMillis()).append(" ms |\n");
      md.append("| Freeze forecast | ").append(rehearsal.freezeForecastMillis() < 0 ? "unknown" : rehearsal.freezeForecastMillis() + " ms").append(" |\n");
    }
    if (switchover != null) md.append("| Write freeze | ").append(switchover.writeFreezeMillis()).append(" ms |\n");
    if (rollback != null) md.append("| Rollback pause | ").append(rollback.writePauseMillis()).append(" ms |\n");
    md.append("| Primary | ").append(primary).append(" |\n");
    if (!decisions.isEmpty()) {
      Decision last = decisions.get(decisions.size() - 1);
      md.append("| Last decision | ").append(last.action()).append(" by ").append(last.by())
          .append(last.accepted() ? " (accepted)" : " (refused: " + last.reason() + ")").append(" |\n");
    }
    if (error != null) md.append("| Error | ").append(error.replace("\n", " ")).append(" |\n");
    Workflow.setCurrentDetails(md.toString());
  }

  private MigrationReport report(String outcome, Phase failedIn, Assessment assessment,
      VerifyResult verify, List<TableStats> stats) {
    double mibps = copyMillis == 0 ? 0 : (copies.bytes() / 1048576.0) / (copyMillis / 1000.0);
    return new MigrationReport(plan.name(), outcome, failedIn, error, assessment, copies.listed(),
        Math.round(mibps * 100) / 100.0, validation, switchover, verify, stats, List.copyOf(approvals),
        List.copyOf(timings), List.copyOf(decisions), rollback, rehearsal, copies.totals());
  }

  private static String describe(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t instanceof ActivityFailure) t = t.getCause();
    if (t instanceof ApplicationFailure app) return app.getOriginalMessage();
    if (t instanceof TimeoutFailure timeout) return "timed out (" + timeout.getTimeoutType() + ")";
    return t.getMessage();
  }
}
