package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One database migration, from assessment to decommissioning the old database.
 *
 * <p>Sign-off comes as Workflow Updates (the caller learns at once whether it was accepted) or,
 * for the Web UI's "Send Signal" and {@code temporal workflow signal}, as signals of the same
 * names. A request that the policy refuses, by Update or by signal, is recorded as refused in the
 * audit trail; a refused Update also fails, with the reason as its one-line message.
 */
@WorkflowInterface
public interface MigrationWorkflow {
  String TYPE = "Migration";

  @WorkflowMethod(name = TYPE)
  MigrationReport run(MigrationPlan plan);

  @QueryMethod(name = "status", description = "Phase, copy progress, lag, validation, freeze time, decisions and what the migration waits for")
  MigrationStatus status();

  @QueryMethod(name = "runbook", description = "The switchover and rollback steps with this plan's values, as Markdown; published when the migration waits for sign-off, with what happened at each step so far")
  String runbook();

  @SignalMethod(name = "approve", description = "Sign off the switchover: {\"approver\": \"alice\", \"comment\": \"go\"}")
  void approve(Approval approval);

  @UpdateMethod(name = "approve", description = "Sign off the switchover; a refusal (the plan's approval policy does not allow it) is recorded and fails the update with the reason")
  Decision approveUpdate(Approval approval);

  @SignalMethod(name = "reject", description = "Refuse the switchover; the migration is undone: {\"approver\": \"bob\", \"comment\": \"why\"}")
  void reject(Approval rejection);

  @UpdateMethod(name = "reject", description = "Refuse the switchover; the migration is undone and the source left as it was")
  Decision rejectUpdate(Approval rejection);

  @SignalMethod(name = "abort", description = "Stop before switchover and undo everything: {\"by\": \"alice\", \"comment\": \"why\"}")
  void abort(OperatorRequest request);

  @SignalMethod(name = "pause", description = "Pause the bulk copy and the change stream without losing position")
  void pause(OperatorRequest request);

  @SignalMethod(name = "resume", description = "Resume a paused copy and change stream")
  void resume(OperatorRequest request);

  @SignalMethod(name = "rollback", description = "After switchover: move writes back to the old database, losing nothing")
  void rollback(OperatorRequest request);

  @UpdateMethod(name = "rollback", description = "After switchover: move writes back to the old database; refused outside VERIFY and RECOVERY")
  Decision rollbackUpdate(OperatorRequest request);

  @SignalMethod(name = "connectionSwitched", description = "With the manual router: the application now connects to the new primary")
  void connectionSwitched(OperatorRequest request);

  @SignalMethod(name = "retireClient", description = "Before the switchover: a client seen on the source will not move, so its access to the target is not awaited: {\"by\": \"alice\", \"user\": \"app\", \"address\": \"10.0.0.7\", \"applicationName\": \"export\", \"comment\": \"why\"}")
  void retireClient(ClientRetirement retirement);

  @UpdateMethod(name = "retireClient", description = "Before the switchover: retire a client seen on the source; refused with the reason after the switchover started or for a client not seen")
  Decision retireClientUpdate(ClientRetirement retirement);

  @SignalMethod(name = "extendRetention", description = "Keep the old database longer: {\"by\": \"alice\", \"extendBy\": \"24h\", \"comment\": \"why\"}")
  void extendRetention(RetentionExtension request);
}
