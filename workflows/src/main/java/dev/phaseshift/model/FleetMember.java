package dev.phaseshift.model;

/**
 * One database of a fleet as the fleet last saw it: compact, since the fleet carries every row
 * across continue-as-new.
 *
 * @param name          the migration's name
 * @param workflowId    its workflow id ({@code migration-<name>}): its own history, approvals and rollback
 * @param wave          its wave, 0 being the canary
 * @param state         where it is in the fleet
 * @param phase         the migration's phase at the last reading; null before it started
 * @param lagBytes      how far its target trailed at the last reading; null when not streaming
 * @param freezeMillis  how long its switchover froze writes; null before the switchover
 * @param waitingFor    what the migration waits for, in its own words
 * @param error         why it failed, or why it was skipped
 * @param startedAt     when the fleet started it (ISO-8601)
 * @param finishedAt    when the fleet saw it end (ISO-8601)
 * @param approvalSent  whether the fleet has passed on its wave's sign-off to it
 */
public record FleetMember(
    String name,
    String workflowId,
    int wave,
    FleetMemberState state,
    Phase phase,
    Long lagBytes,
    Long freezeMillis,
    String waitingFor,
    String error,
    String startedAt,
    String finishedAt,
    boolean approvalSent) {

  public FleetMember withState(FleetMemberState s, String why, String at) {
    return new FleetMember(name, workflowId, wave, s, phase, lagBytes, freezeMillis, waitingFor, why, startedAt,
        s == FleetMemberState.RUNNING ? finishedAt : at, approvalSent);
  }

  public FleetMember started(String at) {
    return new FleetMember(name, workflowId, wave, FleetMemberState.RUNNING, null, null, null, null, null,
        at, null, approvalSent);
  }

  public FleetMember approved() {
    return new FleetMember(name, workflowId, wave, state, phase, lagBytes, freezeMillis, waitingFor, error, startedAt,
        finishedAt, true);
  }

  /** The reading of a status poll; a closed migration also ends its row. */
  public FleetMember read(ChildProgress p, String at) {
    FleetMemberState s = !p.closed() ? state : p.succeeded() ? FleetMemberState.SUCCEEDED : FleetMemberState.FAILED;
    return new FleetMember(name, workflowId, wave, s, p.phase() == null ? phase : p.phase(), p.lagBytes(),
        p.freezeMillis() == null ? freezeMillis : p.freezeMillis(), p.waitingFor(), p.error(), startedAt,
        p.closed() ? at : null, approvalSent);
  }

  public boolean finished() {
    return state != FleetMemberState.PENDING && state != FleetMemberState.RUNNING;
  }
}
