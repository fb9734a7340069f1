package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A migration that only moves through its phases, for fleet tests: it publishes its phase as the
 * real one does, waits for an approval when its plan requires one, and fails when its name starts
 * with {@code bad}.
 */
public class FakeMigration implements MigrationWorkflow {
  private Phase phase = Phase.PREPARE;
  private String waitingFor = "";
  private final List<Approval> approvals = new ArrayList<>();
  private String error;

  @Override
  public MigrationReport run(MigrationPlan plan) {
    set(Phase.MIGRATE);
    Workflow.sleep(Duration.ofMinutes(1));
    if (plan.name().startsWith("bad")) {
      error = "planted failure";
      set(Phase.FAILED);
      throw ApplicationFailure.newNonRetryableFailure(error, FailureTypes.VALIDATION_FAILED);
    }
    if (Boolean.TRUE.equals(plan.approvalRequired())) {
      waitingFor = "approval";
      Workflow.await(() -> !approvals.isEmpty());
      waitingFor = "";
    }
    set(Phase.SWITCHOVER);
    Workflow.sleep(Duration.ofSeconds(10));
    set(Phase.COMPLETED);
    return null;
  }

  private void set(Phase p) {
    phase = p;
    Workflow.upsertTypedSearchAttributes(MigrationSearchAttributes.PHASE.valueSet(p.name()));
  }

  @Override
  public MigrationStatus status() {
    return new MigrationStatus("fake", phase, waitingFor, 0, List.of(), null, null,
        phase == Phase.COMPLETED ? 42L : null, "source", List.copyOf(approvals), error, List.of(), false, null, null,
        null, 0);
  }

  @Override
  public void approve(Approval approval) {
    approvals.add(approval);
  }

  @Override
  public Decision approveUpdate(Approval approval) {
    approvals.add(approval);
    return null;
  }

  @Override
  public void reject(Approval rejection) {}

  @Override
  public Decision rejectUpdate(Approval rejection) {
    return null;
  }

  @Override
  public void abort(OperatorRequest request) {}

  @Override
  public void pause(OperatorRequest request) {}

  @Override
  public void resume(OperatorRequest request) {}

  @Override
  public void rollback(OperatorRequest request) {}

  @Override
  public Decision rollbackUpdate(OperatorRequest request) {
    return null;
  }

  @Override
  public void connectionSwitched(OperatorRequest request) {}

  @Override
  public void extendRetention(RetentionExtension request) {}

  @Override
  public void retireClient(ClientRetirement retirement) {}

  @Override
  public Decision retireClientUpdate(ClientRetirement retirement) {
    return null;
  }

  @Override
  public String runbook() {
    return null;
  }
}
