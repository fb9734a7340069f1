package dev.phaseshift.workflow;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.Readiness;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanValidator;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

public class AssessmentWorkflowImpl implements AssessmentWorkflow {
  /** A server that cannot be reached fails the assessment after a few tries: someone is waiting for it. */
  private static ActivityOptions.Builder options(MigrationPlan plan, String summary) {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(DurationText.parse(plan.assessmentSampleOrDefault()).plus(Duration.ofMinutes(10)))
        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3)
            .setDoNotRetry(FailureTypes.NON_RETRYABLE).build())
        .setSummary(summary);
  }

  @Override
  public Readiness assess(MigrationPlan input) {
    List<String> problems = PlanValidator.problems(input);
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure("the plan has " + problems.size() + " problem(s):\n- "
          + String.join("\n- ", problems), FailureTypes.INVALID_PLAN);
    }
    MigrationPlan plan = input.withDefaults();
    Workflow.setCurrentDetails("Assessing " + plan.name() + ": reading both servers");
    Assessment assessment = Workflow.newActivityStub(MigrationActivities.class,
        options(plan, "assess source and target").build()).assess(plan);
    if (PhysicalSeed.physical(plan)) {
      Workflow.setCurrentDetails("Assessing " + plan.name() + ": checking the target host for physical seeding");
      assessment = assessment.withFindings(PhysicalSeed.hostFindings(plan));
    }
    Workflow.setCurrentDetails("Assessing " + plan.name() + ": sampling the workload for "
        + plan.assessment().sample());
    WorkloadReport workload = Workflow.newActivityStub(MigrationActivities.class,
        // The sample heartbeats every second: a worker that dies in it is noticed within seconds.
        options(plan, "sample the workload").setHeartbeatTimeout(MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT).build())
        .assessWorkload(plan, assessment.totalBytes());
    Readiness readiness = new Readiness(plan.name(), assessment, workload);
    Workflow.setCurrentDetails(ReadinessMarkdown.render(readiness));
    return readiness;
  }
}
