package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** One database migration, from assessment to decommissioning the old database. */
@WorkflowInterface
public interface MigrationWorkflow {
  String TYPE = "Migration";

  @WorkflowMethod(name = TYPE)
  MigrationReport run(MigrationPlan plan);

  @QueryMethod(name = "status", description = "Phase, copy progress, lag, validation, freeze time and what the migration waits for")
  MigrationStatus status();

  @SignalMethod(name = "approve", description = "Sign off the switchover: {\"approver\": \"alice\", \"comment\": \"go\"}")
  void approve(Approval approval);
}
