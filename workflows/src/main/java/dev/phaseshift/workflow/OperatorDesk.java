package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;

/**
 * The operators' requests to a running migration (sign-off, abort, pause, rollback, ...):
 * {@link OperatorRules} decides, this desk records the decision in the audit trail and acts on the
 * migration's state. Kept apart from the phases so that the workflow reads as its seven phases.
 */
final class OperatorDesk {
  private final RunContext run;
  private final MigrationState state;
  private final OperatorRules rules;
  private final ClientRetirements retirements;
  private MigrationPlan plan;
  /** PREPARE to TEST: what an abort or a rejection cancels. */
  private CancellationScope forward;

  OperatorDesk(RunContext run, OperatorRules rules) {
    this.run = run;
    this.state = run.state;
    this.rules = rules;
    this.retirements = new ClientRetirements(run.state);
  }

  /** The plan with its defaults, known once the run has started. */
  void begin(MigrationPlan plan) {
    this.plan = plan;
  }

  /** The scope a stop cancels; set when PREPARE starts. */
  void stops(CancellationScope forward) {
    this.forward = forward;
  }

  void approve(Approval approval) {
    String refused = rules.approval(approval);
    run.decide("approve", OperatorRules.approver(approval), approval == null ? null : approval.comment(),
        refused == null, refused);
    if (refused == null) state.approvals.add(stamp(approval));
  }

  Decision approveUpdate(Approval approval) {
    String refused = rules.approval(approval);
    if (refused == null) state.approvals.add(stamp(approval));
    return decidedOrRefused(run.decide("approve", OperatorRules.approver(approval),
        approval == null ? null : approval.comment(), refused == null,
        refused != null ? refused : state.approvals.size() + " of " + plan.approval().required() + " approvals"));
  }

  void reject(Approval rejection) {
    String refused = rules.rejection(rejection);
    run.decide("reject", OperatorRules.approver(rejection), rejection == null ? null : rejection.comment(),
        refused == null, refused);
    if (refused == null) stop("rejected by " + rejection.approver() + OperatorRules.suffix(rejection.comment()));
  }

  Decision rejectUpdate(Approval rejection) {
    String refused = rules.rejection(rejection);
    Decision d = decidedOrRefused(run.decide("reject", OperatorRules.approver(rejection),
        rejection == null ? null : rejection.comment(), refused == null,
        refused != null ? refused : "the migration is undone"));
    stop("rejected by " + rejection.approver() + OperatorRules.suffix(rejection.comment()));
    return d;
  }

  void abort(OperatorRequest request) {
    String refused = rules.abort();
    String by = OperatorRules.requester(request);
    String comment = request == null ? null : request.comment();
    run.decide("abort", by, comment, refused == null, refused);
    if (refused == null) stop("aborted by " + by + OperatorRules.suffix(comment));
  }

  private void stop(String reason) {
    state.stopReason = reason;
    if (forward != null) forward.cancel(reason);
  }

  void pause(OperatorRequest request) {
    if (!decided("pause", request, rules.pause())) return;
    state.paused = true;
    // Once the stream runs, pausing means stopping the apply on the target; the source keeps the position.
    if (state.streamAttached) Workflow.newDetachedCancellationScope(() -> run.steps().pauseChangeStream(plan)).run();
  }

  void resume(OperatorRequest request) {
    if (!decided("resume", request, rules.resume())) return;
    if (state.streamAttached) Workflow.newDetachedCancellationScope(() -> run.steps().resumeChangeStream(plan)).run();
    state.paused = false;
  }

  void rollback(OperatorRequest request) {
    if (decided("rollback", request, rules.rollback())) state.rollbackRequested = true;
  }

  Decision rollbackUpdate(OperatorRequest request) {
    String refused = rules.rollbackUpdate(request);
    Decision d = decidedOrRefused(run.decide("rollback", OperatorRules.requester(request),
        request == null ? null : request.comment(), refused == null,
        refused != null ? refused : "writes move back to the old database"));
    state.rollbackRequested = true;
    return d;
  }

  void connectionSwitched(OperatorRequest request) {
    decided("connection-switched", request, null);
    state.connectionSwitched = true;
  }

  void extendRetention(RetentionExtension request) {
    String by = request == null || request.by() == null ? "unknown" : request.by();
    String refused = rules.retentionExtension(request);
    run.decide("extend-retention", by, request == null ? null : request.comment(), refused == null,
        refused == null ? "by " + request.extendBy() : refused);
    if (refused == null) state.retentionExtensionMillis += DurationText.parse(request.extendBy()).toMillis();
  }

  void retireClient(ClientRetirement request) {
    String refused = retirements.refusal(request);
    run.decide("retire-client", request == null || request.by() == null ? "unknown" : request.by(),
        request == null ? null : request.comment(), refused == null, refused != null ? refused : retire(request));
  }

  Decision retireClientUpdate(ClientRetirement request) {
    String refused = retirements.refusal(request);
    return decidedOrRefused(run.decide("retire-client", request == null || request.by() == null ? "unknown"
        : request.by(), request == null ? null : request.comment(), refused == null,
        refused != null ? refused : retire(request)));
  }

  private String retire(ClientRetirement request) {
    retirements.accept(request, run.now());
    return ClientRetirements.describe(request) + " is retired: the switchover no longer waits for the target to admit it";
  }

  /** Records an operator's signal in the audit trail; true when it was accepted. */
  private boolean decided(String action, OperatorRequest request, String refused) {
    run.decide(action, OperatorRules.requester(request), request == null ? null : request.comment(),
        refused == null, refused);
    return refused == null;
  }

  /**
   * An Update's decision, already in the audit trail; a refusal then fails the Update, so the
   * caller (the CLI, {@code temporal workflow update}, the Web UI) sees it failed, with one line
   * and no stack trace; its details hold the decision. No Update validator refuses: a rejected Update leaves no trace in history,
   * and the audit trail must show refused requests too.
   */
  private static Decision decidedOrRefused(Decision d) {
    if (d.accepted()) return d;
    ApplicationFailure refusal = ApplicationFailure.newNonRetryableFailure(
        d.action() + " refused: " + d.reason().replace('\n', ' '), FailureTypes.REFUSED, d);
    refusal.setStackTrace(new StackTraceElement[0]);
    throw refusal;
  }

  private Approval stamp(Approval approval) {
    return new Approval(OperatorRules.approver(approval), approval == null ? null : approval.comment(), run.now());
  }
}
