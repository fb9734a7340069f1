package dev.phaseshift.workflow;

import dev.phaseshift.model.RehearsalRecord;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * The plan's {@code approval.rehearsal}: sign-off counts only while the latest rehearsal of the plan
 * is recent, passed validation and forecast a freeze within {@code cutover.maxFreeze}. The switchover
 * gate reads the latest rehearsal when the run starts waiting for sign-off and with every lag
 * refresh while it waits; {@link OperatorRules} refuses approvals with the reason.
 */
final class RehearsalGate {
  private static final Logger log = Workflow.getLogger(RehearsalGate.class);

  /** The last reading: the rehearsal found (or none) and why it does not do, or null when it does. */
  record Check(RehearsalRecord latest, String refusal, String checkedAt) {}

  private RehearsalGate() {}

  /** Reads the latest rehearsal into the state when the plan asks for one; a failed read keeps the last one. */
  static void check(RunContext run) {
    MigrationState state = run.state;
    if (!state.plan.approval().rehearsalRequired()) return;
    try {
      RehearsalRecord latest = run.quietSteps().latestRehearsal(state.plan);
      state.rehearsalGate = new Check(latest, refusal(state.plan, latest, Workflow.currentTimeMillis()), run.now());
    } catch (ActivityFailure failure) {
      log.warn("latest rehearsal not read: {}", Failures.describe(failure));
      if (state.rehearsalGate == null) {
        state.rehearsalGate = new Check(null, "the latest rehearsal could not be read ("
            + Failures.describe(failure) + "); it is read again with the next lag refresh", run.now());
      }
    }
  }

  /** Why this rehearsal does not let sign-off count, or null when it does. */
  static String refusal(MigrationPlan plan, RehearsalRecord latest, long nowMillis) {
    String rehearse = "; rehearse again (a plan with mode: rehearsal, e.g. `phaseshift schedule trigger rehearsal-"
        + plan.name() + "`)";
    if (latest == null) {
      return "no rehearsal of " + plan.name() + " has finished" + rehearse;
    }
    String which = "the latest rehearsal (" + latest.workflowId() + ", finished " + latest.finishedAt() + ")";
    long maxAge = DurationText.parse(plan.approval().rehearsal().maxAge()).toMillis();
    if (nowMillis - Instant.parse(latest.finishedAt()).toEpochMilli() > maxAge) {
      return which + " is older than approval.rehearsal.maxAge (" + plan.approval().rehearsal().maxAge() + ")" + rehearse;
    }
    if (!latest.validationPassed() || !"REHEARSED".equals(latest.outcome())) {
      return which + " ended " + latest.outcome() + (latest.validationPassed() ? "" : " without passing validation")
          + "; fix the cause" + rehearse;
    }
    long freeze = latest.result() == null ? -1 : latest.result().freezeForecastMillis();
    if (freeze < 0) return which + " forecast no freeze: the target did not catch up" + rehearse;
    String bound = plan.cutover().maxFreeze();
    if (freeze > DurationText.parse(bound).toMillis()) {
      return which + " forecast a write freeze of " + freeze + " ms, above cutover.maxFreeze (" + bound + ");"
          + " make the target catch up faster or raise maxFreeze, then rehearse again";
    }
    return null;
  }

  /** Why an approval is refused for the rehearsal gate, or null. */
  static String approvalRefusal(MigrationState state) {
    if (!state.plan.approval().rehearsalRequired()) return null;
    if (state.rehearsalGate == null) {
      return "sign-off needs a good rehearsal, which is checked once the migration waits for sign-off (SWITCHOVER);"
          + " approve then";
    }
    String refusal = state.rehearsalGate.refusal();
    return refusal == null ? null : "sign-off needs a good rehearsal: " + refusal;
  }
}
