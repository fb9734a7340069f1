package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Position;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanValidator;
import dev.phaseshift.plan.RouterConfig;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * The migration as a durable state machine: PREPARE, MIGRATE, TEST, SWITCHOVER, VERIFY, RECOVERY,
 * OPTIMIZE. Deterministic: all I/O happens in activities; time comes from the workflow clock.
 *
 * <p>Every forward step registers its undo before it runs (saga). Until the write freeze starts, an
 * abort, a rejection or a failure runs the undos in reverse order and leaves the source as it was.
 * After the switchover the way back is a rollback through reverse replication.
 *
 * <p>A change that a running migration could see goes through {@code Workflow.getVersion}; see
 * the README's Development section.
 */
public class MigrationWorkflowImpl implements MigrationWorkflow {
  private static final Logger log = Workflow.getLogger(MigrationWorkflowImpl.class);

  /** Blockers named in the failure of an assessment; the report's assessment holds the rest. */
  static final int BLOCKERS_NAMED = 20;
  /** Copies that lose their snapshot start over at most this often before the run gives up. */
  static final int MAX_COPY_RESTARTS = 3;
  /** Attempts at a switchover whose lag did not drain within the freeze limit. */
  static final int MAX_SWITCHOVER_ATTEMPTS = 3;
  static final Duration SWITCHOVER_RETRY_PAUSE = Duration.ofSeconds(30);

  private final RunContext run = new RunContext();
  private final MigrationState state = run.state;
  private final OperatorDesk desk = new OperatorDesk(run, new OperatorRules(state));
  private final LagWatch lag = new LagWatch(run);
  private final ExternalHolds holds = new ExternalHolds(run);
  private final VerificationWindow window = new VerificationWindow(run);
  private final PhysicalSeed seed = new PhysicalSeed(run);
  private MigrationPlan plan;

  private enum Recovery { KEEP_TARGET, ROLL_BACK }

  @Override
  public MigrationReport run(MigrationPlan input) {
    List<String> problems = PlanValidator.problems(input);
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the plan has " + problems.size() + " problem(s); nothing was changed:\n- "
              + String.join("\n- ", problems), FailureTypes.INVALID_PLAN);
    }
    plan = input.withDefaults();
    run.begin(plan);
    desk.begin(plan);
    UndoSteps saga = new UndoSteps();
    try {
      // PREPARE to TEST: what an abort or a rejection cancels.
      CancellationScope forward = Workflow.newCancellationScope(() -> {
        prepare(saga);
        migrate(saga);
        test();
      });
      desk.stops(forward);
      forward.run();
      // An abort accepted while the last step of TEST finished found nothing left to cancel.
      run.checkStop();
      if (plan.rehearsal()) return holds.released(Rehearsal.forecastAndTearDown(run));
      switchOver();
      verify();
      if (recovery() == Recovery.ROLL_BACK) return holds.released(rollBack());
      optimize();
      return holds.released(completed());
    } catch (TemporalFailure failure) {
      throw holds.released(ended(failure, saga));
    }
  }

  private void prepare(UndoSteps saga) {
    run.enter(Phase.PREPARE, "assessing source and target");
    Assessment assessment = run.step("assess source and target").assess(plan);
    if (PhysicalSeed.physical(plan)) assessment = assessment.withFindings(seed.checkHost());
    state.assessment = assessment;
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
    Briefings.sampleWorkload(run);
    holds.claim();
    // Physical seeding brings the tables with the copy of the cluster: nothing to create, no table tally.
    if (PhysicalSeed.physical(plan)) return;
    state.tablesTotal = assessment.tableCount();
    state.waitingFor = "creating tables on the target";
    if (plan.targetDisposable() || plan.rehearsal()) saga.add(run.steps()::dropTargetObjects, plan);
    run.step("create tables on the target").createTargetSchema(plan);
  }

  private void migrate(UndoSteps saga) {
    if (PhysicalSeed.physical(plan)) {
      run.enter(Phase.MIGRATE, "seeding the target physically");
      seed.seed(saga);
    } else {
      copy(saga);
    }
    state.streamAttached = true;
    if (state.paused) run.steps().pauseChangeStream(plan);
    lag.awaitBelow(plan.cutover().maxLagBytes(), "change stream to catch up");
  }

  /** The logical seeding: the tables copied row by row under the change capture's snapshot, then the stream attached. */
  private void copy(UndoSteps saga) {
    run.enter(Phase.MIGRATE, "copying tables");
    saga.add(run.steps()::undoChangeCapture, plan);
    CopyScheduler copier = new CopyScheduler(run);
    List<CopyBatch> batches = CopyPlanning.batches(run);
    ChangeCapture capture;
    for (int restart = 0; ; restart++) {
      capture = run.step("start change capture").startChangeCapture(plan);
      try {
        copier.copyAll(batches, capture);
        break;
      } catch (ActivityFailure failure) {
        if (!Failures.snapshotLost(failure) || restart + 1 >= MAX_COPY_RESTARTS) throw failure;
        log.warn("snapshot lost during the copy ({}); starting the copy over", Failures.describe(failure));
        state.waitingFor = "snapshot lost with its worker; starting the copy over";
        state.copies.clear();
        run.steps().resetCopy(plan);
      }
    }
    run.show("building indexes and constraints on the target");
    run.step("build indexes and constraints").finishTargetSchema(plan);
    state.waitingFor = "attaching the change stream";
    run.step("attach the change stream").startChangeStream(plan, capture);
  }

  private void test() {
    run.enter(Phase.TEST, "validating source against target");
    state.validation = run.heartbeating("validate source against target").validate(plan);
    if (!state.validation.passed()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "validation found " + state.validation.mismatches() + " mismatch(es); see the report's validation section",
          FailureTypes.VALIDATION_FAILED);
    }
  }

  /** Once the gate is open, freezes writes and hands them to the target; a drain that ran out of time is tried again. */
  private void switchOver() {
    run.enter(Phase.SWITCHOVER, "");
    SwitchoverGate gate = new SwitchoverGate(run, lag);
    window.beginBaseline();
    for (int attempt = 1; state.switchover == null; attempt++) {
      gate.awaitReady();
      window.takeBaseline();
      state.freezeStarted = true;
      run.show("switchover: writes frozen on the source until the target has every change, for at most "
          + plan.cutover().maxFreeze() + " (a dead worker's freeze ends with it)");
      try {
        state.switchover = run.freezing("switchover: freeze writes, drain, hand over").switchover(plan);
      } catch (ActivityFailure failure) {
        state.freezeStarted = false;
        if (!Failures.lagNotDrained(failure) || attempt >= MAX_SWITCHOVER_ATTEMPTS) throw failure;
        String why = Failures.describe(failure);
        run.decide("switchover", "workflow", null, false, why);
        run.show("switchover attempt " + attempt + " released: " + why
            + "; trying again in " + SWITCHOVER_RETRY_PAUSE.toSeconds() + "s");
        run.sleep(SWITCHOVER_RETRY_PAUSE, "switchover attempt " + attempt + " released; trying again");
      }
    }
    state.primary = "target";
    // The switchover drained the stream completely; no more lag is measured after it.
    Position drained = state.switchover.finalPosition();
    state.lag = new Lag(0, drained, drained, run.now());
    run.notify("switchover", "writes moved to the target after a " + state.switchover.writeFreezeMillis() + " ms freeze");
    if (RouterConfig.MANUAL.equals(plan.router().typeOrDefault())) {
      run.show("connectionSwitched: point the application at the target, then send the 'connectionSwitched' signal");
      Workflow.await(() -> state.connectionSwitched || state.rollbackRequested);
    }
  }

  private void verify() {
    run.enter(Phase.VERIFY, "checking the target takes writes and the source none");
    state.verify = run.step("verify the target takes writes").verify(plan);
    // After the check that nothing writes to the old database: from here on the reverse stream
    // does. It loses nothing by starting now, since its change capture was created inside the freeze.
    if (plan.reverseReplication()) {
      run.step("start reverse replication").startReverseReplication(plan);
      if (!state.verify.passed()) {
        run.decide("rollback", "workflow", null, true, "automatic rollback: verify failed: " + state.verify);
        state.rollbackRequested = true;
      }
    }
    window.watch();
  }

  /** The old database is kept (and kept current) for the retention window, which may grow, then released. */
  private Recovery recovery() {
    run.enter(Phase.RECOVERY, "");
    long until = Workflow.currentTimeMillis() + DurationText.parse(plan.retention()).toMillis();
    while (!state.rollbackRequested) {
      long deadline = until + state.retentionExtensionMillis;
      long now = Workflow.currentTimeMillis();
      if (now >= deadline) break;
      String keeping = "retention window: old database kept until " + Instant.ofEpochMilli(deadline);
      run.show(keeping + "; send 'rollback' to move writes back");
      long extension = state.retentionExtensionMillis;
      run.await(Duration.ofMillis(deadline - now), keeping,
          () -> state.rollbackRequested || state.retentionExtensionMillis != extension);
    }
    if (state.rollbackRequested) return Recovery.ROLL_BACK;
    run.decommissioning();
    run.step("decommission the change streams").decommission(plan);
    return Recovery.KEEP_TARGET;
  }

  private void optimize() {
    run.enter(Phase.OPTIMIZE, "analyzing the target");
    state.tableStats = run.step("analyze the target").optimize(plan);
    state.optimization = run.heartbeating("optimization advice").adviseOptimization(plan);
  }

  private MigrationReport completed() {
    run.enter(Phase.COMPLETED, "");
    run.notify("completed", "migration completed; the target is the primary");
    return state.report("COMPLETED", null);
  }

  private MigrationReport rollBack() {
    run.show("rollback: writes frozen on the target until the old database has every change");
    state.rollback = run.freezing("rollback: freeze writes on the target, drain, hand back").rollback(plan);
    state.primary = "source";
    run.notify("rollback", "writes moved back to the old database after a " + state.rollback.writePauseMillis() + " ms pause");
    if (RouterConfig.MANUAL.equals(plan.router().typeOrDefault())) {
      state.connectionSwitched = false;
      run.show("connectionSwitched: point the application back at the old database, then send 'connectionSwitched'");
      Workflow.await(() -> state.connectionSwitched);
    }
    run.decommissioning();
    run.steps().decommission(plan);
    run.enter(Phase.ROLLED_BACK, "");
    return state.report("ROLLED_BACK", null);
  }

  /** A failure or a stop: undoes what the saga registered (before the switchover only) and reports. */
  private ApplicationFailure ended(TemporalFailure failure, UndoSteps saga) {
    Phase failedIn = state.phase;
    boolean stopped = state.stopping() && (failure instanceof CanceledFailure || Failures.isCancellation(failure));
    state.error = stopped ? state.stopReason : Failures.describe(failure);
    boolean undone = state.switchover == null && compensate(saga);
    run.end(stopped ? Phase.ABORTED : Phase.FAILED);
    run.notify(stopped ? "aborted" : "failed", "in " + failedIn + ": " + state.error);
    MigrationReport report = state.report(state.phase.name(), failedIn);
    return ApplicationFailure.newNonRetryableFailureWithCause(
        "migration " + plan.name() + (stopped ? " aborted in " : " failed in ") + failedIn + ": " + state.error
            + (undone ? " (the source is as it was; the migration's objects were removed)" : ""),
        stopped ? "MigrationAborted" : "MigrationFailed", failure, report);
  }

  /** Runs the undo steps; true when every one of them succeeded. */
  private boolean compensate(UndoSteps saga) {
    run.show("undoing: removing the change capture, releasing any freeze");
    List<String> failures = new ArrayList<>();
    // Detached: the undo must run although the forward scope was cancelled.
    Workflow.newDetachedCancellationScope(() -> failures.addAll(saga.runAll())).run();
    if (failures.isEmpty()) return true;
    state.error = state.error + "; cleanup failed too: " + String.join("; ", failures)
        + " (remove the change capture and change stream named " + plan.objectName() + " on both servers by hand)";
    return false;
  }

  // ---- operator requests: the desk records each decision and acts on it ----

  @Override
  public MigrationStatus status() {
    return state.status();
  }

  @Override
  public String runbook() {
    return Briefings.runbook(state);
  }

  @Override
  public void approve(Approval approval) { desk.approve(approval); }

  @Override
  public Decision approveUpdate(Approval approval) { return desk.approveUpdate(approval); }

  @Override
  public void reject(Approval rejection) { desk.reject(rejection); }

  @Override
  public Decision rejectUpdate(Approval rejection) { return desk.rejectUpdate(rejection); }

  @Override
  public void abort(OperatorRequest request) { desk.abort(request); }

  @Override
  public void pause(OperatorRequest request) { desk.pause(request); }

  @Override
  public void resume(OperatorRequest request) { desk.resume(request); }

  @Override
  public void rollback(OperatorRequest request) { desk.rollback(request); }

  @Override
  public Decision rollbackUpdate(OperatorRequest request) { return desk.rollbackUpdate(request); }

  @Override
  public void connectionSwitched(OperatorRequest request) { desk.connectionSwitched(request); }

  @Override
  public void extendRetention(RetentionExtension request) { desk.extendRetention(request); }

  @Override
  public void retireClient(ClientRetirement retirement) { desk.retireClient(retirement); }

  @Override
  public Decision retireClientUpdate(ClientRetirement retirement) { return desk.retireClientUpdate(retirement); }
}
