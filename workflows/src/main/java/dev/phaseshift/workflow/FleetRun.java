package dev.phaseshift.workflow;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetPlans;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.Workflow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A fleet run's mutable state: what the handlers change and what continue-as-new carries on. */
final class FleetRun {
  final FleetPlan plan;
  final List<MigrationPlan> plans;
  final List<FleetMember> members;
  final List<WaveApproval> approvedWaves;
  final List<Decision> decisions;
  final int waves;
  final int runs;
  int currentWave;
  int acceptedFailures;
  boolean paused;
  boolean aborted;
  boolean done;
  String held;
  String statusReadAt;
  /** Set by every handler, so the run loop wakes up at once instead of at its next status reading. */
  boolean changed;

  FleetRun(FleetPlan plan, FleetStatus carried) {
    this.plan = plan;
    this.plans = FleetPlans.expand(plan);
    List<Integer> waveOf = FleetPlans.waveOf(plans.size(), plan.waves().canary(), plan.waves().size());
    this.waves = waveOf.isEmpty() ? 0 : waveOf.get(waveOf.size() - 1) + 1;
    if (carried == null) {
      members = new ArrayList<>();
      for (int i = 0; i < plans.size(); i++) {
        MigrationPlan p = plans.get(i);
        members.add(new FleetMember(p.name(), p.workflowId(), waveOf.get(i), FleetMemberState.PENDING, null, null,
            null, null, null, null, null, false));
      }
      approvedWaves = new ArrayList<>();
      decisions = new ArrayList<>();
      runs = 0;
    } else {
      members = new ArrayList<>(carried.members());
      approvedWaves = new ArrayList<>(carried.approvedWaves());
      decisions = new ArrayList<>(carried.decisions());
      runs = carried.runs() + 1;
      currentWave = carried.currentWave();
      acceptedFailures = carried.acceptedFailures();
      paused = FleetStatus.PAUSED.equals(carried.state());
      held = carried.held();
      aborted = FleetStatus.ABORTED.equals(carried.state());
      statusReadAt = carried.statusReadAt();
    }
  }

  String now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString();
  }

  int index(String name) {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).name().equals(name)) return i;
    }
    return -1;
  }

  List<Integer> inWave(int wave) {
    List<Integer> indexes = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).wave() == wave) indexes.add(i);
    }
    return indexes;
  }

  long count(FleetMemberState s) {
    return members.stream().filter(m -> m.state() == s).count();
  }

  WaveApproval approvalOf(int wave) {
    return approvedWaves.stream().filter(a -> a.wave() == wave).findFirst().orElse(null);
  }

  void record(Decision d) {
    decisions.add(d);
    // The trail is carried on continue-as-new; its oldest entries stay in the earlier runs' histories.
    while (decisions.size() > FleetStatus.DECISIONS_KEPT) decisions.remove(0);
    changed = true;
  }

  /**
   * Why the remaining waves must wait for an operator, or null: there are failures nobody has
   * resumed past, and the share of failed migrations among the finished ones is above the plan's rate.
   */
  String stopReason() {
    long failed = count(FleetMemberState.FAILED);
    long finished = failed + count(FleetMemberState.SUCCEEDED);
    if (failed - acceptedFailures <= 0 || finished == 0) return null;
    double rate = (double) failed / finished;
    double max = plan.stop().maxFailureRate();
    if (rate <= max) return null;
    return failed + " of " + finished + " finished migrations failed (" + Math.round(rate * 100) + "%, the plan stops"
        + " above " + Math.round(max * 100) + "%): " + String.join(", ", members.stream()
            .filter(m -> m.state() == FleetMemberState.FAILED).map(FleetMember::name).limit(10).toList());
  }

  String state() {
    if (aborted) return FleetStatus.ABORTED;
    if (done) return FleetStatus.COMPLETED;
    if (held != null) return FleetStatus.HELD;
    if (paused) return FleetStatus.PAUSED;
    return FleetStatus.RUNNING;
  }

  FleetStatus status() {
    return new FleetStatus(plan.name(), state(), currentWave, waves, FleetWaits.describe(this), held,
        List.copyOf(approvedWaves), acceptedFailures, List.copyOf(members), List.copyOf(decisions), runs,
        statusReadAt);
  }
}
