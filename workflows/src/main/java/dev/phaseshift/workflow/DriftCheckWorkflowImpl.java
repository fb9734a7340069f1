package dev.phaseshift.workflow;

import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanValidator;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

public class DriftCheckWorkflowImpl implements DriftCheckWorkflow {
  public static final String DRIFT_FOUND = "DriftFound";

  /** A check that cannot reach a server is retried a few times, then the next scheduled run tries again. */
  private final MigrationActivities steps = Workflow.newActivityStub(MigrationActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofHours(6))
          .setHeartbeatTimeout(MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT)
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3)
              .setDoNotRetry(FailureTypes.NON_RETRYABLE).build())
          .setSummary("compare source and target")
          .build());

  @Override
  public ValidationResult check(MigrationPlan input) {
    List<String> problems = PlanValidator.problems(input);
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure("the plan has problems:\n- " + String.join("\n- ", problems),
          FailureTypes.INVALID_PLAN);
    }
    MigrationPlan plan = input.withDefaults();
    Workflow.setCurrentDetails("Comparing " + MigrationSearchAttributes.host(plan.source()) + " with "
        + MigrationSearchAttributes.host(plan.target()) + " for " + plan.name());
    // Through the stream of the migration's current phase: forward before the switchover, reverse after it.
    ValidationResult result = steps.checkDrift(plan);
    Workflow.setCurrentDetails("| | |\n|---|---|\n| Migration | " + plan.name() + " |\n| Mismatches | "
        + result.mismatches() + " |\n| Compared at | "
        + (result.comparedAt() == null ? "unknown" : result.comparedAt().label()) + " |\n");
    if (!result.passed()) {
      throw ApplicationFailure.newNonRetryableFailure(plan.name() + ": source and target differ in "
          + result.mismatches() + " place(s)", DRIFT_FOUND, result);
    }
    return result;
  }
}
