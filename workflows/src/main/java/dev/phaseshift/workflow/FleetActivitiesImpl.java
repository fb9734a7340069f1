package dev.phaseshift.workflow;

import dev.phaseshift.model.ChildProgress;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.activity.Activity;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a fleet's running migrations through the Temporal client: the workflow's state and phase
 * from its description (always there), lag, freeze and what it waits for from its status query
 * (there while a worker answers; a reading without it still moves the fleet on).
 */
public final class FleetActivitiesImpl implements FleetActivities {
  private final WorkflowClient client;

  public FleetActivitiesImpl(WorkflowClient client) {
    this.client = client;
  }

  @Override
  public List<ChildProgress> progress(List<String> workflowIds) {
    List<ChildProgress> read = new ArrayList<>();
    for (String id : workflowIds) {
      read.add(one(id));
      Activity.getExecutionContext().heartbeat(read.size());
    }
    return read;
  }

  private ChildProgress one(String id) {
    WorkflowExecutionDescription d;
    try {
      d = client.newUntypedWorkflowStub(id).describe();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) throw e;
      return new ChildProgress(id, true, false, null, null, null, null,
          "its workflow is gone (removed after the namespace's retention, or deleted)");
    }
    WorkflowExecutionStatus state = d.getStatus();
    String phaseName = d.getTypedSearchAttributes().get(MigrationSearchAttributes.PHASE);
    Phase phase = phaseName == null ? null : Phase.valueOf(phaseName);
    boolean running = state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        || state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW;
    boolean completed = state == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
    // Also once a migration has ended: its final status holds the freeze its switchover took, for the report.
    MigrationStatus s = query(id);
    if (s != null && s.phase() != null) phase = s.phase();
    if (running) {
      return new ChildProgress(id, false, false, phase, s == null || s.lag() == null ? null : s.lag().bytes(),
          s == null ? null : s.writeFreezeMillis(), s == null ? null : s.waitingFor(), null);
    }
    boolean succeeded = completed && (phase == null || phase == Phase.COMPLETED);
    String error = succeeded ? null
        : s != null && s.error() != null ? s.error()
        : completed ? "ended " + phase
        : "its workflow " + state.name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase().replace('_', ' ');
    return new ChildProgress(id, true, succeeded, phase, null, s == null ? null : s.writeFreezeMillis(), null, error);
  }

  /** The migration's status, or null while no worker answers (the reading goes on without it). */
  private MigrationStatus query(String id) {
    try {
      return client.newWorkflowStub(MigrationWorkflow.class, id).status();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
