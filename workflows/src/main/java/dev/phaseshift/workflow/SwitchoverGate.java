package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.WindowOpening;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;

/**
 * Waits until everything the plan asks for holds at the same time — enough approvals, an open
 * maintenance window with room for the freeze, lag under the threshold, a fresh validation, no
 * long write transaction and every application login role able to log in on the target. An approval whose conditions lapse (lag, a failed re-validation) is
 * withdrawn and must be given again.
 */
final class SwitchoverGate {
  private static final Logger log = Workflow.getLogger(SwitchoverGate.class);
  static final Duration GUARDRAIL_RETRY = Duration.ofSeconds(30);
  /**
   * Missing access waits for an operator to change the target: checked again after a minute, then
   * ever less often up to every 30 minutes (an approval sent meanwhile checks at once), each time
   * as a local activity, so two weeks of waiting stay about 5,000 history events.
   */
  static final Duration ACCESS_RETRY_FIRST = Duration.ofMinutes(1);
  static final Duration ACCESS_RETRY_MAX = Duration.ofMinutes(30);
  /**
   * How often the lag is measured while awaiting sign-off: often at first, when someone is likely
   * watching, then every two hours, so a wait of weeks costs about 80 events a day.
   */
  static final Duration LAG_REFRESH_FIRST = Duration.ofMinutes(15);
  static final Duration LAG_REFRESH_LATER = Duration.ofHours(2);
  static final Duration LAG_REFRESH_FIRST_FOR = Duration.ofHours(2);

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
    RehearsalGate.check(run);
    Briefings.publishRunbook(run);
    // A condition that did not hold has waited for a change; all are checked again, since waiting
    // for one may have let another lapse.
    while (!allHold()) run.checkStop();
    run.checkStop();
    state.gateOpenedAt = run.now();
  }

  private boolean allHold() {
    MigrationPlan plan = state.plan;
    run.checkStop();
    if (plan.approvalRequired()) {
      if (!approvalAnnounced) {
        run.notify("approval-needed", "switchover of " + plan.name() + " waits for " + plan.approval().required()
            + " approval(s)\n\n" + RunbookMarkdown.render(plan.name(), state.runbook));
        approvalAnnounced = true;
      }
      // Before the wait for sign-off, so the approver sees which clients the target admits.
      if (accessMissing()) return false;
      awaitApprovals();
      if (rehearsalLapsed()) return false;
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
      state.validation = run.revalidations().validate(plan);
      if (!state.validation.passed()) {
        withdrawApprovals("re-validation found " + state.validation.mismatches() + " mismatch(es)");
        run.sleep(GUARDRAIL_RETRY, "re-validation failed; validating again");
        return false;
      }
    }
    // Long write transactions on the source and login roles not ready on the target, each described.
    List<String> holds = run.steps().longWriteTransactions(plan);
    if (!holds.isEmpty()) {
      run.show("the switchover waits for: " + String.join("; ", holds));
      run.sleep(GUARDRAIL_RETRY, "the switchover is held back; checking again");
      return false;
    }
    // Last: clients may have appeared on the source while sign-off was awaited.
    return !accessMissing();
  }

  /**
   * Checks that the target admits every client the source has shown; while it does not, shows the
   * first change to make and checks again until it does (the approvals stand: an operator fixes
   * the target, or retires the client in the plan, without a new sign-off). True when it waited:
   * the other conditions may have lapsed meanwhile.
   */
  private boolean accessMissing() {
    state.clientAccess = run.step("check the target admits every client").checkClientAccess(state.accessPlan());
    Duration retry = ACCESS_RETRY_FIRST;
    boolean waited = false;
    while (state.clientAccess.blocked()) {
      waited = true;
      String waiting = "client access missing on the target; checking again";
      run.show("client access: " + state.clientAccess.summary()
          + " (all: phaseshift status; fix the target, or retire the client: phaseshift retire-client);"
          + " checking again in " + retry.toMinutes() + " min");
      int approvals = state.approvals.size();
      int retired = state.retiredClients.size();
      run.await(retry, waiting, () -> state.stopping() || state.approvals.size() != approvals
          || state.retiredClients.size() != retired);
      run.checkStop();
      retry = retry.multipliedBy(2).compareTo(ACCESS_RETRY_MAX) > 0 ? ACCESS_RETRY_MAX : retry.multipliedBy(2);
      try {
        state.clientAccess = run.quietSteps().checkClientAccess(state.accessPlan());
      } catch (ActivityFailure failure) {
        log.warn("client access not checked again: {}", Failures.describe(failure));
      }
    }
    return waited;
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
    String waiting = (now < window.startMillis() ? "maintenance window opening at "
        : "next maintenance window; the current one ends too soon for a freeze of up to "
            + plan.cutover().maxFreeze() + ", at ") + Instant.ofEpochMilli(until);
    run.show(waiting);
    run.await(Duration.ofMillis(Math.max(1, until - now)), waiting, state::stopping);
    run.checkStop();
    return false;
  }

  /**
   * Waits for sign-off without a timer and an activity per minute: one named timer for the deadline
   * or the next lag refresh (a local activity, see {@link #LAG_REFRESH_LATER}).
   */
  private void awaitApprovals() {
    MigrationPlan plan = state.plan;
    int required = plan.approval().required();
    Duration deadline = plan.approval().deadline() == null ? null : DurationText.parse(plan.approval().deadline());
    long overdueAt = deadline == null ? Long.MAX_VALUE : approvalWaitStart + deadline.toMillis();
    boolean deadlineReported = false;
    while (state.approvals.size() < required) {
      run.checkStop();
      String awaiting = awaitingApproval(required, deadlineReported ? Long.MAX_VALUE : overdueAt);
      // Code spans: the Web UI renders current details as Markdown, which would curl bare quotes.
      run.show(awaiting + "; send the `approve` update or signal with `{\"approver\": \"...\", \"comment\": \"...\"}`");
      long now = Workflow.currentTimeMillis();
      Duration refresh = now - approvalWaitStart < LAG_REFRESH_FIRST_FOR.toMillis() ? LAG_REFRESH_FIRST : LAG_REFRESH_LATER;
      boolean deadlineFirst = !deadlineReported && overdueAt - now <= refresh.toMillis();
      Duration wait = deadlineFirst ? Duration.ofMillis(Math.max(1, overdueAt - now)) : refresh;
      if (run.await(wait, awaiting, () -> state.approvals.size() >= required || state.stopping())) continue;
      if (deadlineFirst) {
        deadlineReported = true;
        run.notify("approval-deadline", "no approval within " + plan.approval().deadline());
        if ("abort".equals(plan.approval().onDeadline())) {
          state.stopReason = "no approval within the deadline of " + plan.approval().deadline();
          run.decide("abort", "workflow", null, true, state.stopReason);
          throw new CanceledFailure(state.stopReason);
        }
        continue;
      }
      refreshLag();
      rehearsalLapsed();
    }
  }

  /** E.g. "approval: 1 of 2 given (bob); approvers: bob, carol, dave; deadline 2026-12-05T02:00:00Z, then abort". */
  private String awaitingApproval(int required, long deadlineAt) {
    ApprovalPolicy policy = state.plan.approval();
    StringBuilder s = new StringBuilder("approval: ").append(state.approvals.size()).append(" of ").append(required)
        .append(" given");
    if (!state.approvals.isEmpty()) {
      s.append(" (").append(String.join(", ", state.approvals.stream().map(Approval::approver).toList())).append(')');
    }
    s.append("; approvers: ").append(policy.approvers().isEmpty() ? "anyone" : String.join(", ", policy.approvers()));
    String rehearsal = RehearsalGate.approvalRefusal(state);
    if (rehearsal != null) s.append("; ").append(rehearsal);
    if (deadlineAt != Long.MAX_VALUE) {
      s.append("; deadline ").append(Instant.ofEpochMilli(deadlineAt)).append("abort".equals(policy.onDeadline()) ? ", then abort" : ", then a notification and waiting on");
    }
    return s.toString();
  }

  /** Keeps the lag in the status roughly current while nobody decides; a failed reading keeps the last one. */
  private void refreshLag() {
    try {
      state.lag = run.quietSteps().measureLag(state.plan);
      run.render();
    } catch (ActivityFailure failure) {
      log.warn("lag not measured while awaiting approval: {}", Failures.describe(failure));
    }
  }

  /** Reads the latest rehearsal again once sign-off is complete: one that lapsed meanwhile withdraws it. */
  private boolean rehearsalLapsed() {
    if (!state.plan.approval().rehearsalRequired()) return false;
    RehearsalGate.check(run);
    if (state.rehearsalGate.refusal() == null) return false;
    withdrawApprovals("the rehearsal no longer lets sign-off count: " + state.rehearsalGate.refusal());
    return true;
  }

  private void withdrawApprovals(String reason) {
    if (state.approvals.isEmpty()) return;
    for (Approval a : state.approvals) run.decide("withdraw", "workflow", a.approver(), true, reason);
    state.approvals.clear();
    log.info("approvals withdrawn: {}", reason);
  }
}
