package dev.phaseshift.workflow;

import dev.phaseshift.model.Readiness;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * {@code phaseshift assess PLAN}: PREPARE's assessment on its own, run by a worker (which holds the
 * credentials and reaches the servers), changing nothing on either server. Its result is the
 * report; its current details show it as Markdown in the Web UI.
 */
@WorkflowInterface
public interface AssessmentWorkflow {
  String TYPE = "Assessment";

  /** Ids {@code assess-<name>-<suffix>}: several assessments of one plan may run at once. */
  static String workflowId(String name, String suffix) {
    return "assess-" + name + "-" + suffix;
  }

  @WorkflowMethod(name = TYPE)
  Readiness assess(MigrationPlan plan);
}
