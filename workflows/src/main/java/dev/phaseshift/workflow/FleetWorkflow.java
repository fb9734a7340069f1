package dev.phaseshift.workflow;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetSkip;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.plan.FleetPlan;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Many migrations moved in waves, a canary first (workflow id {@code fleet-<name>}). Each
 * database's migration is a child workflow with its own id, history, approvals and rollback; the
 * fleet starts them, reads their status and stops when too many fail.
 *
 * <p>Requests come as Updates (the CLI learns at once whether one was accepted) or as signals of
 * the same names (the Web UI, {@code temporal workflow signal}); both are recorded in the audit trail.
 */
@WorkflowInterface
public interface FleetWorkflow {
  String TYPE = "Fleet";

  /**
   * @param plan    the fleet plan
   * @param carried the state a previous run of this fleet carried over (continue-as-new); null at the start
   */
  @WorkflowMethod(name = TYPE)
  FleetStatus run(FleetPlan plan, FleetStatus carried);

  @QueryMethod(name = "status", description = "Every wave and database with phase, lag and freeze, and what the fleet waits for")
  FleetStatus status();

  @SignalMethod(name = "pause", description = "Start no further migrations; running ones go on: {\"by\": \"alice\", \"comment\": \"why\"}")
  void pause(OperatorRequest request);

  @UpdateMethod(name = "pause", description = "Start no further migrations; running ones go on")
  Decision pauseUpdate(OperatorRequest request);

  @SignalMethod(name = "resume", description = "Go on after a pause or a stop, past the failures so far")
  void resume(OperatorRequest request);

  @UpdateMethod(name = "resume", description = "Go on after a pause or a stop, past the failures so far")
  Decision resumeUpdate(OperatorRequest request);

  @SignalMethod(name = "skip", description = "Take a waiting or failed database out of the fleet: {\"database\": \"shop-eu\", \"by\": \"alice\"}")
  void skip(FleetSkip request);

  @UpdateMethod(name = "skip", description = "Take a waiting or failed database out of the fleet")
  Decision skipUpdate(FleetSkip request);

  @SignalMethod(name = "abort", description = "Start none of the remaining migrations; running ones go on to their end")
  void abort(OperatorRequest request);

  @UpdateMethod(name = "abort", description = "Start none of the remaining migrations; running ones go on to their end")
  Decision abortUpdate(OperatorRequest request);

  @SignalMethod(name = "approveWave", description = "Sign off every switchover of a wave: {\"wave\": 1, \"approver\": \"alice\"}")
  void approveWave(WaveApproval approval);

  @UpdateMethod(name = "approveWave", description = "Sign off every switchover of a wave (fleets with signOff: wave)")
  Decision approveWaveUpdate(WaveApproval approval);
}
