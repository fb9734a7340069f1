package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;

/**
 * Waits until everything the plan asks for holds at the same time — enough approvals, an open
 * maintenance window with room for the freeze, lag under the threshold, a fresh validation and
 * no long write transaction. An approval whose conditions lapse (lag, a failed re-validation) is
 * withdrawn and must be given again.
 */
final class SwitchoverGate {
  private static final Logger log = Workflow.getLogger(SwitchoverGate.class);
  static final Duration GUARDRAIL_RETRY = Duration.ofSeconds(30);

  private final RunContext run;
  private final MigrationState state;
  private final LagWatch lag;
  private final long approvalWaitStart = Workflow.currentTimeMillis();
  private boolean approvalAnnounced;

  SwitchoverGate(RunContext run, LagWatch lag) {
    this.run = run;
    this.state = run.state;
    this.lag = lag;
  }

  /** Returns once the switchover may freeze writes; throws when the run stops meanwhile. */
  void awaitReady() {
    // A condition that did not hold has waited for a change; all are checked again, since waiting
    // for one may have let another lapse.
    while (!allHold()) run.checkStop();
    run.checkStop();
  }

  private boolean allHold() {
    MigrationPlan plan = state.plan;
    run.checkStop();
    if (plan.approvalRequired()) {
      if (!approvalAnnounced) {
        run.notify("approval-needed", "switchover of " + plan.name() + " waits for " + plan.approval().required()
            + " approval(s)");
        approvalAnnounced = true;
      }
      awaitApprovals();
    }
    if (!plan.maintenanceWindows().isEmpty() && !inWindowWithRoomForFreeze()) return false;
    long maxLag = plan.cutover().maxLagBytes();
    if (lag.measure().bytes() > maxLag) {
      withdrawApprovals("lag " + state.lag.bytes() + " bytes rose above the threshold of " + maxLag);
      lag.awaitBelow(maxLag, "lag to fall below the freeze threshold");
      return false;
    }
    if (plan.approvalRequired()) {
      run.show("re-validating before the freeze");
      state.validation = run.steps().validate(plan);
      if (!state.validation.passed()) {
        withdrawApprovals("re-validation found " + state.validation.mismatches() + " mismatch(es)");
        Workflow.sleep(GUARDRAIL_RETRY);
        return false;
      }
    }
    List<String> longTransactions = run.steps().longWriteTransactions(plan);
    if (!longTransactions.isEmpty()) {
      run.show("long-running write transactions on the source: " + String.join("; ", longTransactions));
      Workflow.sleep(GUARDRAIL_RETRY);
      return false;
    }
    return true;
  }

  private boolean inWindowWithRoomForFreeze() {
    MigrationPlan plan = state.plan;
    long now = Workflow.currentTimeMillis();
    WindowOpening window = run.steps().nextMaintenanceWindow(plan, now);
    if (window == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no maintenance window is left in the plan; add one (maintenanceWindows) and start again",
          FailureTypes.PREREQUISITE);
    }
    long freeze = DurationText.parse(plan.cutover().maxFreeze()).toMillis();
    if (now >= window.startMillis() && window.endMillis() - now >= freeze) return true;
    long until = now < window.startMillis() ? window.startMillis() : window.endMillis();
    run.show((now < window.startMillis() ? "maintenance window opening at "
        : "next maintenance window; the current one ends too soon for a freeze of up to "
            + plan.cutover().maxFreeze() + ", at ") + Instant.ofEpochMilli(until));
    Workflow.await(Duration.ofMillis(Math.max(1, until - now)), state::stopping);
    run.checkStop();
    return false;
  }

  private void awaitApprovals() {
    MigrationPlan plan = state.plan;
    int required = plan.approval().required();
    Duration deadline = plan.approval().deadline() == null ? null : DurationText.parse(plan.approval().deadline());
    boolean deadlineReported = false;
    if (deadline != null) state.approvalDeadline = Instant.ofEpochMilli(approvalWaitStart + deadline.toMillis()).toString();
    while (state.approvals.size() < required) {
      run.checkStop();
      // A code span: the Web UI renders current details as Markdown, which would curl bare quotes.
      run.show("approval: " + state.approvals.size() + " of " + required
          + " given; send the `approve` update or signal with `{\"approver\": \"...\", \"comment\": \"...\"}`");
      Duration wait = Duration.ofMinutes(1);
      long overdueAt = deadline == null ? Long.MAX_VALUE : approvalWaitStart + deadline.toMillis();
      long now = Workflow.currentTimeMillis();
      if (!deadlineReported && overdueAt - now < wait.toMillis()) wait = Duration.ofMillis(Math.max(1, overdueAt - now));
      boolean woke = Workflow.await(wait, () -> state.approvals.size() >= required || state.stopping());
      if (woke) continue;
      if (!deadlineReported && Workflow.currentTimeMillis() >= overdueAt) {
        deadlineReported = true;
        run.notify("approval-deadline", "no approval within " + plan.approval().deadline());
        if ("abort".equals(plan.approval().onDeadline())) {
          state.stopReason = "no approval within the deadline of " + plan.approval().deadline();
          run.decide("abort", "workflow", null, true, state.stopReason);
          throw new CanceledFailure(state.stopReason);
        }
      }
      // Keeps the lag in the status current while nobody decides.
      state.lag = run.steps().measureLag(plan);
      run.render();
    }
  }

  private void withdrawApprovals(String reason) {
    if (state.approvals.isEmpty()) return;
    for (Approval a : state.approvals) run.decide("withdraw", "workflow", a.approver(), true, reason);
    state.approvals.clear();
    log.info("approvals withdrawn: {}", reason);
  }
}
