package dev.phaseshift.workflow;

import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A scheduled drift check: compares a migration's source and target (counts, checksums, schema,
 * sequences) once and records the result, so a schedule shows when the two sides began to differ.
 * Fails when they differ, so the schedule's recent actions show the drift at a glance.
 */
@WorkflowInterface
public interface DriftCheckWorkflow {
  String TYPE = "DriftCheck";

  /** The id of a migration's drift check schedule; the migration pauses it when it ends. */
  static String scheduleId(String migration) {
    return "drift-check-" + migration;
  }

  @WorkflowMethod(name = TYPE)
  ValidationResult check(MigrationPlan plan);
}
