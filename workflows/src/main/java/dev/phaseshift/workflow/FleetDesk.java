package dev.phaseshift.workflow;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetSkip;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.plan.FleetWaves;
import io.temporal.failure.ApplicationFailure;

/**
 * An operator's requests to a fleet: each is decided by the rules below, recorded in the fleet's
 * audit trail and, when accepted, changes the fleet's state. Signals and Updates share the rules.
 */
final class FleetDesk {
  private final FleetRun run;

  FleetDesk(FleetRun run) {
    this.run = run;
  }

  Decision pause(OperatorRequest r) {
    String refused = closed() != null ? closed() : run.paused ? "the fleet is already paused" : null;
    if (refused == null) run.paused = true;
    return decide("pause", r, refused, "no further migration starts; running ones go on");
  }

  Decision resume(OperatorRequest r) {
    String refused = closed() != null ? closed()
        : !run.paused && run.held == null ? "the fleet is neither paused nor stopped" : null;
    if (refused == null) {
      run.paused = false;
      run.held = null;
      // The failures so far were looked at; only new ones stop the fleet again.
      run.acceptedFailures = (int) run.count(FleetMemberState.FAILED);
    }
    return decide("resume", r, refused, "the fleet goes on");
  }

  Decision abort(OperatorRequest r) {
    String refused = closed();
    if (refused == null) run.aborted = true;
    return decide("abort", r, refused, "no further migration starts; running ones go on to their end");
  }

  Decision skip(FleetSkip r) {
    OperatorRequest who = new OperatorRequest(r == null ? null : r.by(), r == null ? null : r.comment());
    String db = r == null ? null : r.database();
    int i = db == null ? -1 : run.index(db);
    String refused = closed();
    if (refused == null && i < 0) refused = "no database " + db + " in this fleet (see phaseshift fleet status " + run.plan.name() + ")";
    FleetMember m = i < 0 ? null : run.members.get(i);
    if (refused == null && m.state() == FleetMemberState.RUNNING) {
      refused = db + " is running; abort its migration with phaseshift abort " + db + " or let it end";
    } else if (refused == null && m.state() != FleetMemberState.PENDING && m.state() != FleetMemberState.FAILED) {
      refused = db + " is already " + m.state().name().toLowerCase();
    }
    if (refused == null) {
      run.members.set(i, m.withState(FleetMemberState.SKIPPED, "skipped by " + who.by()
          + (m.error() == null ? "" : " after: " + m.error()), run.now()));
      run.acceptedFailures = (int) Math.min(run.acceptedFailures, run.count(FleetMemberState.FAILED));
      // Skipping the failures that stopped the fleet lets it go on, unless others still stop it.
      if (run.held != null && run.stopReason() == null) run.held = null;
    }
    return decide("skip " + db, who, refused, db + " is out of the fleet");
  }

  Decision approveWave(WaveApproval a) {
    OperatorRequest who = new OperatorRequest(a == null ? null : a.approver(), a == null ? null : a.comment());
    Integer wave = a == null ? null : a.wave();
    String refused = closed();
    if (refused == null && !FleetWaves.SIGN_OFF_WAVE.equals(run.plan.waves().signOff())) {
      refused = "this fleet signs off per " + run.plan.waves().signOff()
          + (FleetWaves.SIGN_OFF_NONE.equals(run.plan.waves().signOff()) ? " (no sign-off)" :
              ": approve each migration with phaseshift approve NAME");
    } else if (refused == null && (wave == null || wave < 0 || wave >= run.waves)) {
      refused = "name a wave from 0 to " + (run.waves - 1) + ": {\"wave\": 1, \"approver\": \"...\"}";
    } else if (refused == null && run.approvalOf(wave) != null) {
      refused = "wave " + wave + " was already signed off by " + run.approvalOf(wave).approver();
    } else if (refused == null && (who.by() == null || who.by().isBlank())) {
      refused = "name the approver: {\"wave\": 1, \"approver\": \"...\"}";
    }
    if (refused == null) run.approvedWaves.add(new WaveApproval(wave, who.by(), who.comment()));
    return decide("approve wave " + wave, who, refused, "passed on to every migration of wave " + wave);
  }

  /** The same decision for an Update: a refusal fails it, the recorded decision as its details. */
  static Decision orRefuse(Decision d) {
    if (d.accepted()) return d;
    ApplicationFailure refusal = ApplicationFailure.newNonRetryableFailure(
        d.action() + " refused: " + d.reason(), FailureTypes.REFUSED, d);
    refusal.setStackTrace(new StackTraceElement[0]);
    throw refusal;
  }

  private String closed() {
    if (run.aborted) return "the fleet was aborted";
    if (run.done) return "the fleet has finished";
    return null;
  }

  private Decision decide(String action, OperatorRequest r, String refused, String did) {
    String by = r == null || r.by() == null || r.by().isBlank() ? "unknown" : r.by();
    Decision d = new Decision(action, by, run.now(), r == null ? null : r.comment(), refused == null,
        refused == null ? did : refused);
    run.record(d);
    return d;
  }
}
