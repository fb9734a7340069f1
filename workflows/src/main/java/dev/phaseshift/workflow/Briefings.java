package dev.phaseshift.workflow;

import dev.phaseshift.model.Readiness;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * What the run puts before its approvers: PREPARE's workload report (sent to the webhook) and the
 * runbook published when the switchover's gate is first reached. Both are informative: a sample
 * that fails is logged and the migration goes on with the catalog's assessment.
 */
final class Briefings {
  private static final Logger log = Workflow.getLogger(Briefings.class);

  private Briefings() {}

  /** Samples the source's workload for the plan's {@code assessment.sample}; before anything moves. */
  static void sampleWorkload(RunContext run) {
    MigrationState state = run.state;
    MigrationPlan plan = state.plan;
    state.step = "sample the workload";
    run.show("sampling the source's workload for " + plan.assessment().sample());
    MigrationActivities sampler = Workflow.newActivityStub(MigrationActivities.class, ActivityOptions.newBuilder()
        .setStartToCloseTimeout(DurationText.parse(plan.assessment().sample()).plus(Duration.ofMinutes(10)))
        // The sample heartbeats every second: a worker that dies in it is noticed within seconds.
        .setHeartbeatTimeout(MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT)
        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).setDoNotRetry(FailureTypes.NON_RETRYABLE)
            .build())
        .setSummary("sample the workload")
        .build());
    try {
      state.workload = sampler.assessWorkload(plan, state.assessment.totalBytes());
      run.notify("assessment", ReadinessMarkdown.render(new Readiness(plan.name(), state.assessment, state.workload)));
    } catch (ActivityFailure failure) {
      // An abort cancels the sample like any step; only a sample that failed by itself is let go.
      if (Failures.isCancellation(failure)) throw failure;
      log.warn("workload not sampled; the assessment has sizes and findings only: {}", Failures.describe(failure));
    }
  }

  /**
   * Publishes the runbook once, when the switchover's gate is first reached (the approval-needed
   * notification carries it to the webhook).
   */
  static void publishRunbook(RunContext run) {
    if (run.state.runbook == null) run.state.runbook = RunbookWriter.write(run.state, run.now());
  }

  /** The runbook with what happened so far, for the {@code runbook} query; says so when none is published yet. */
  static String runbook(MigrationState state) {
    if (state.runbook == null) {
      return "The runbook of " + (state.plan == null ? "this migration" : state.plan.name())
          + " is published when the migration reaches the switchover's sign-off; it is in " + state.phase + ".\n";
    }
    return RunbookMarkdown.render(state.plan.name(), RunbookWriter.actuals(state.runbook, state));
  }

  /** Appended to the Web UI's current details: the assessment report and, once published, the runbook. */
  static String details(MigrationState state) {
    if (state.phase != dev.phaseshift.model.Phase.SWITCHOVER || state.runbook == null) return "";
    String rehearsal = state.rehearsalGate == null ? "" : "\n**Rehearsal gate:** "
        + (state.rehearsalGate.refusal() == null ? "passed (" + state.rehearsalGate.latest().workflowId() + ")"
            : "sign-off refused: " + state.rehearsalGate.refusal()) + "\n";
    return rehearsal + "\n" + RunbookMarkdown.render(state.plan.name(), RunbookWriter.actuals(state.runbook, state))
        + (state.workload == null ? "" : "\n" + ReadinessMarkdown.render(
            new Readiness(state.plan.name(), state.assessment, state.workload)));
  }
}
