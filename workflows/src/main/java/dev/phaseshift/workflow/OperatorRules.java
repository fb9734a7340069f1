package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.DurationText;
import java.util.List;

/**
 * Who may approve, reject, abort, pause, resume, roll back or extend the retention of a migration,
 * and when. Each rule answers with the reason for a refusal, or null when the request is accepted.
 * Reads the run's state and changes nothing: the workflow records the decision and acts on it.
 */
final class OperatorRules {
  static final String NOT_STARTED = "the migration has not started yet";

  private final MigrationState state;

  OperatorRules(MigrationState state) {
    this.state = state;
  }

  /** Why the plan's policy refuses this approval now, or null when it counts. */
  String approval(Approval approval) {
    if (state.plan == null) return NOT_STARTED;
    String approver = approval == null ? null : approval.approver();
    if (approver == null || approver.isBlank()) return "name the approver: {\"approver\": \"...\", \"comment\": \"...\"}";
    if (!state.plan.approvalRequired()) return "this migration's plan needs no approval (approvalRequired: false)";
    if (state.switchoverStarted()) return "the switchover has already started";
    if (state.stopping() || state.phase == Phase.FAILED || state.phase == Phase.ABORTED) {
      return "the migration is stopping: " + state.stopReason;
    }
    String notAnApprover = notAnApprover(approver);
    if (notAnApprover != null) return notAnApprover;
    String rehearsal = RehearsalGate.approvalRefusal(state);
    if (rehearsal != null) return rehearsal;
    if (!state.plan.approval().requesterMayApprove() && approver.equals(state.plan.requestedBy())) {
      return approver + " requested this migration and may not approve it (four-eyes rule); ask another approver";
    }
    if (state.approvals.stream().anyMatch(a -> a.approver().equals(approver))) {
      return approver + " has already approved; " + state.plan.approval().required() + " distinct approvers are needed";
    }
    return null;
  }

  String rejection(Approval rejection) {
    if (state.plan == null) return NOT_STARTED;
    String by = rejection == null ? null : rejection.approver();
    if (by == null || by.isBlank()) return "name who rejects: {\"approver\": \"...\", \"comment\": \"...\"}";
    String notAnApprover = notAnApprover(by);
    return notAnApprover != null ? notAnApprover : stop();
  }

  String abort() {
    return state.plan == null ? NOT_STARTED : stop();
  }

  /** Until the freeze an abort or a rejection undoes everything; after it only a rollback goes back. */
  private String stop() {
    if (state.switchoverStarted()) {
      // Cancelling a freeze whose hand-over may be in flight could leave writes on neither side;
      // the freeze is bounded, so waiting for it is short and safe.
      String bound = state.plan != null && state.plan.cutover() != null && state.plan.cutover().maxFreeze() != null
          ? " (" + state.plan.cutover().maxFreeze() + ")" : "";
      return "the switchover has already started; after it, send 'rollback' to move writes back; it ends by itself"
          + " within cutover.maxFreeze" + bound + ", handing writes over or releasing them";
    }
    if (state.stopping()) return "the migration is already stopping: " + state.stopReason;
    return null;
  }

  String pause() {
    if (state.paused) return "already paused";
    return state.switchoverStarted() ? "the switchover has started" : null;
  }

  String resume() {
    return state.paused ? null : "not paused";
  }

  /** An update must name who asks, since it answers the caller; a signal is recorded as from "unknown". */
  String rollbackUpdate(OperatorRequest request) {
    if (request == null || request.by() == null || request.by().isBlank()) {
      return "name who asks for the rollback: {\"by\": \"...\", \"comment\": \"why\"}";
    }
    return rollback();
  }

  String rollback() {
    if (state.plan == null) return NOT_STARTED;
    Phase phase = state.phase;
    if (phase != Phase.VERIFY && phase != Phase.RECOVERY && !(phase == Phase.SWITCHOVER && state.switchover != null)) {
      return "rollback is possible after the switchover, during VERIFY and RECOVERY; the migration is in " + phase
          + (state.switchover == null ? " (before switchover, send 'abort' instead)" : "");
    }
    if (!state.plan.reverseReplication()) return "the plan turned reverse replication off, so the old database is not current";
    if (state.rollbackRequested) return "a rollback is already under way";
    if (state.decommissionStarted) {
      return "the retention window is over and the old database is being decommissioned; it is no longer kept current,"
          + " so a rollback could lose writes";
    }
    return null;
  }

  String retentionExtension(RetentionExtension request) {
    if (request == null || !DurationText.isValid(request.extendBy())) return "extendBy must be a duration such as 24h";
    return state.phase.ordinal() > Phase.RECOVERY.ordinal() ? "the retention window is over" : null;
  }

  private String notAnApprover(String name) {
    List<String> allowed = state.plan.approval().approvers();
    if (allowed.isEmpty() || allowed.contains(name)) return null;
    return name + " is not an approver of this migration; the plan names " + String.join(", ", allowed);
  }

  static String approver(Approval approval) {
    return approval == null || approval.approver() == null ? "unknown" : approval.approver();
  }

  static String requester(OperatorRequest request) {
    return request == null || request.by() == null ? "unknown" : request.by();
  }

  /** The comment as it follows a reason in the audit trail: {@code ": why"}, or nothing. */
  static String suffix(String comment) {
    return comment == null || comment.isBlank() ? "" : ": " + comment;
  }
}
