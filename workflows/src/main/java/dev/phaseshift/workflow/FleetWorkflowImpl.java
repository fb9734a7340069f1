package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ChildProgress;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetSkip;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetPlanValidator;
import dev.phaseshift.plan.FleetPlans;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributes;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs a fleet: starts each wave's migrations as child workflows (at most the plan's concurrency at
 * once), reads their status with one activity per reading, stops after a wave when the stop policy
 * says so, and continues as new before its history grows long. The children are abandoned on
 * continue-as-new (never terminated: a migration mid-switchover must not die with its fleet's run);
 * the next run follows them by workflow id.
 *
 * <p>Why the fleet reads its children instead of being signalled by them: a reading is a fixed
 * handful of events whatever the number of databases, while signals would add events for every
 * phase change of every migration, and lag and freeze change all the time; reading also needs no
 * change to the migration workflow, so a migration started by a fleet is the same as any other.
 */
public class FleetWorkflowImpl implements FleetWorkflow {
  /** Events after which the fleet continues as new; with its few events per reading and per start it stays well below Temporal's limits. */
  static final int HISTORY_LIMIT = 2_000;

  private final FleetActivities activities = Workflow.newActivityStub(FleetActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build());
  private final List<String> problems;
  private final FleetRun run;
  private final FleetDesk desk;

  @WorkflowInit
  public FleetWorkflowImpl(FleetPlan plan, FleetStatus carried) {
    problems = FleetPlanValidator.problems(plan);
    run = problems.isEmpty() ? new FleetRun(plan.withDefaults(), carried) : null;
    desk = run == null ? null : new FleetDesk(run);
  }

  @Override
  public FleetStatus run(FleetPlan plan, FleetStatus carried) {
    if (run == null) {
      throw ApplicationFailure.newNonRetryableFailure("the fleet plan is not valid:\n- " + String.join("\n- ", problems),
          FailureTypes.INVALID_PLAN);
    }
    Workflow.upsertTypedSearchAttributes(MigrationSearchAttributes.FLEET.valueSet(run.plan.name()));
    Duration every = DurationText.parse(run.plan.statusEvery());
    while (true) {
      passOnWaveSignOffs();
      if (!run.aborted && !run.paused && run.held == null) startWhatMay();
      if (run.aborted) {
        for (int i = 0; i < run.members.size(); i++) {
          FleetMember m = run.members.get(i);
          if (m.state() == FleetMemberState.PENDING) {
            run.members.set(i, m.withState(FleetMemberState.NOT_STARTED, "the fleet was aborted", run.now()));
          }
        }
        if (run.count(FleetMemberState.RUNNING) == 0) break;
      } else if (run.held == null && waveOver()) {
        String stop = run.stopReason();
        if (stop != null) {
          run.held = "wave " + run.currentWave + " ended and " + stop;
          run.record(new Decision("stop", "workflow", run.now(), null, true, run.held));
        } else if (!run.paused) {
          if (run.currentWave + 1 >= run.waves) {
            run.done = true;
            break;
          }
          run.currentWave++;
          continue;
        }
      }
      if (Workflow.getInfo().getHistoryLength() > HISTORY_LIMIT && Workflow.isEveryHandlerFinished()) {
        Workflow.continueAsNew(run.plan, run.status());
      }
      Workflow.setCurrentDetails(FleetWaits.details(run));
      run.changed = false;
      if (run.count(FleetMemberState.RUNNING) == 0) {
        Workflow.await(() -> run.changed);
      } else if (!Workflow.await(every, () -> run.changed)) {
        read();
      }
    }
    Workflow.setCurrentDetails(FleetWaits.details(run));
    Workflow.await(Workflow::isEveryHandlerFinished);
    return run.status();
  }

  private boolean waveOver() {
    return run.inWave(run.currentWave).stream().allMatch(i -> run.members.get(i).finished());
  }

  /** Starts the current wave's next migrations, up to the plan's concurrency, and waits until each has started. */
  private void startWhatMay() {
    int free = run.plan.waves().concurrency() - (int) run.count(FleetMemberState.RUNNING);
    Map<Integer, Promise<WorkflowExecution>> starting = new TreeMap<>();
    for (int i : run.inWave(run.currentWave)) {
      if (free <= 0) break;
      if (run.members.get(i).state() != FleetMemberState.PENDING) continue;
      MigrationPlan plan = FleetPlans.inWave(run.plans.get(i), run.plan, run.currentWave);
      MigrationWorkflow child = Workflow.newChildWorkflowStub(MigrationWorkflow.class, ChildWorkflowOptions.newBuilder()
          .setWorkflowId(plan.workflowId())
          .setTaskQueue(Workflow.getInfo().getTaskQueue())
          .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
          .setTypedSearchAttributes(SearchAttributes.newBuilder()
              .set(MigrationSearchAttributes.FLEET, run.plan.name()).build())
          .setStaticSummary("Migration " + plan.name() + " (fleet " + run.plan.name() + ", wave " + run.currentWave + ")")
          .build());
      Async.function(child::run, plan);
      starting.put(i, Workflow.getWorkflowExecution(child));
      free--;
    }
    for (Map.Entry<Integer, Promise<WorkflowExecution>> e : starting.entrySet()) {
      FleetMember m = run.members.get(e.getKey());
      try {
        e.getValue().get();
        run.members.set(e.getKey(), m.started(run.now()));
      } catch (TemporalFailure f) {
        // Most often a migration of that name already runs, started by hand: the fleet does not take it over.
        run.members.set(e.getKey(), m.withState(FleetMemberState.FAILED, "could not start " + m.workflowId() + ": "
            + f.getMessage() + " (a migration of that name may already run)", run.now()));
      }
    }
  }

  /** Passes each signed-off wave's approval to its migrations once they run (before, they would refuse it). */
  private void passOnWaveSignOffs() {
    List<Promise<Void>> sent = new ArrayList<>();
    for (WaveApproval a : run.approvedWaves) {
      for (int i : run.inWave(a.wave())) {
        FleetMember m = run.members.get(i);
        if (m.state() != FleetMemberState.RUNNING || m.approvalSent() || m.phase() == null) continue;
        MigrationWorkflow child = Workflow.newExternalWorkflowStub(MigrationWorkflow.class, m.workflowId());
        Approval approval = new Approval(a.approver(), "wave " + a.wave() + " sign-off of fleet " + run.plan.name()
            + (a.comment() == null || a.comment().isEmpty() ? "" : ": " + a.comment()), null);
        sent.add(Async.procedure(child::approve, approval));
        run.members.set(i, m.approved());
      }
    }
    for (Promise<Void> p : sent) {
      try {
        p.get();
      } catch (TemporalFailure f) {
        // The migration ended meanwhile; its own trail shows it never waited for this approval.
      }
    }
  }

  /** One status reading of every running migration; a reading that fails is skipped, the next one follows. */
  private void read() {
    List<String> ids = run.members.stream().filter(m -> m.state() == FleetMemberState.RUNNING)
        .map(FleetMember::workflowId).toList();
    List<ChildProgress> progress;
    try {
      progress = activities.progress(ids);
    } catch (ActivityFailure f) {
      return;
    }
    String now = run.now();
    for (ChildProgress p : progress) {
      int i = indexOfWorkflow(p.workflowId());
      if (i < 0 || run.members.get(i).state() != FleetMemberState.RUNNING) continue;
      run.members.set(i, run.members.get(i).read(p, now));
    }
    run.statusReadAt = now;
  }

  private int indexOfWorkflow(String workflowId) {
    for (int i = 0; i < run.members.size(); i++) {
      if (run.members.get(i).workflowId().equals(workflowId)) return i;
    }
    return -1;
  }

  @Override
  public FleetStatus status() {
    return run == null ? null : run.status();
  }

  @Override
  public void pause(OperatorRequest request) {
    desk().pause(request);
  }

  @Override
  public Decision pauseUpdate(OperatorRequest request) {
    return FleetDesk.orRefuse(desk().pause(request));
  }

  @Override
  public void resume(OperatorRequest request) {
    desk().resume(request);
  }

  @Override
  public Decision resumeUpdate(OperatorRequest request) {
    return FleetDesk.orRefuse(desk().resume(request));
  }

  @Override
  public void skip(FleetSkip request) {
    desk().skip(request);
  }

  @Override
  public Decision skipUpdate(FleetSkip request) {
    return FleetDesk.orRefuse(desk().skip(request));
  }

  @Override
  public void abort(OperatorRequest request) {
    desk().abort(request);
  }

  @Override
  public Decision abortUpdate(OperatorRequest request) {
    return FleetDesk.orRefuse(desk().abort(request));
  }

  @Override
  public void approveWave(WaveApproval approval) {
    desk().approveWave(approval);
  }

  @Override
  public Decision approveWaveUpdate(WaveApproval approval) {
    return FleetDesk.orRefuse(desk().approveWave(approval));
  }

  private FleetDesk desk() {
    if (desk == null) {
      throw ApplicationFailure.newNonRetryableFailure("the fleet plan is not valid; start the fleet again with a"
          + " valid plan (phaseshift fleet validate FILE)", FailureTypes.REFUSED);
    }
    return desk;
  }
}
