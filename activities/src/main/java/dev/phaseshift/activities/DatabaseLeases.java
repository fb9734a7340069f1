package dev.phaseshift.activities;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.DatabaseIdentity;
import dev.phaseshift.model.LeaseHolder;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.DatabaseLeaseWorkflow;
import dev.phaseshift.workflow.FailureTypes;
import dev.phaseshift.workflow.TaskQueues;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration per database: takes, checks and gives up the leases ({@link DatabaseLeaseWorkflow}
 * runs, one workflow id per database identity). Temporal starts at most one open run per workflow
 * id, so two migrations racing for a database cannot both win; the holder is read from the run's
 * memo, which needs no worker. A lease whose holder has ended without releasing it (terminated by
 * hand) is taken over, that exact run being ended, so the lease never outlives its migration.
 */
final class DatabaseLeases {
  private static final Logger log = LoggerFactory.getLogger(DatabaseLeases.class);
  static final String SOURCE = "source";
  static final String TARGET = "target";
  /** Starts lost to a lease that closed meanwhile, or to a racing take-over, before giving up. */
  private static final int ATTEMPTS = 5;

  private final WorkflowClient client;

  DatabaseLeases(WorkflowClient client) {
    this.client = client;
  }

  /** A lease run as seen now: which run, who holds it. */
  private record Held(String runId, LeaseHolder holder) {}

  /** Claims source (not for a rehearsal) and target for {@code holderWorkflowId}; on a refusal nothing stays claimed. */
  DatabaseIdentities claim(String holderWorkflowId, MigrationPlan plan, DatabaseIdentities ids) {
    boolean source = !plan.rehearsal();
    if (source) claim(holderWorkflowId, plan.name(), SOURCE, ids.source());
    try {
      claim(holderWorkflowId, plan.name(), TARGET, ids.target());
    } catch (RuntimeException e) {
      if (source) release(holderWorkflowId, ids.source());
      throw e;
    }
    return source ? ids : new DatabaseIdentities(null, ids.target());
  }

  void release(String holderWorkflowId, DatabaseIdentities ids) {
    if (ids.source() != null) release(holderWorkflowId, ids.source());
    if (ids.target() != null) release(holderWorkflowId, ids.target());
  }

  /**
   * Right before the freeze: the database at the source address now must be the one this
   * migration claimed as its source in PREPARE. Another server put in its place (failover,
   * restore, a changed DNS name) has another identity, hence a lease that is not ours.
   */
  void confirmSource(String holderWorkflowId, MigrationPlan plan, DatabaseIdentity now) {
    Held held = held(now.leaseId());
    if (held != null && holderWorkflowId.equals(held.holder().workflowId()) && SOURCE.equals(held.holder().role())) {
      return;
    }
    throw new MigrationException(FailureTypes.PREREQUISITE, "the source address " + plan.source().hostAndDatabase()
        + " now reaches " + now + ", which is not the source database this migration claimed in PREPARE"
        + (held == null ? "" : " (that database is leased to " + held.holder().describe() + ")")
        + "; nothing was frozen. Check which server is the primary; abort this migration and start it again"
        + " against the right source");
  }

  private void claim(String holderWorkflowId, String migration, String role, DatabaseIdentity db) {
    LeaseHolder wanted = new LeaseHolder(holderWorkflowId, migration, role, db.toString());
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      WorkflowStub lease = client.newUntypedWorkflowStub(DatabaseLeaseWorkflow.TYPE, WorkflowOptions.newBuilder()
          .setWorkflowId(db.leaseId())
          .setTaskQueue(TaskQueues.MIGRATIONS)
          .setMemo(Map.of(DatabaseLeaseWorkflow.HOLDER_MEMO, wanted))
          .build());
      try {
        lease.start(wanted);
        log.info("{} leased {} as its {}", migration, db, role);
        return;
      } catch (WorkflowExecutionAlreadyStarted taken) {
        // someone holds it: who, below
      }
      Held held = held(db.leaseId());
      if (held == null) continue;
      LeaseHolder holder = held.holder();
      // This migration's own lease: a retried claim, or a new run of the same migration after a failed one.
      if (holderWorkflowId.equals(holder.workflowId()) && role.equals(holder.role())) return;
      if (holderWorkflowId.equals(holder.workflowId())) {
        throw new MigrationException(FailureTypes.PREREQUISITE, "this migration already uses " + db + " as its "
            + holder.role() + "; source and target must be different databases");
      }
      if (!running(holder.workflowId())) {
        log.warn("taking over the lease on {}: its holder {} has ended without releasing it", db, holder.describe());
        endRun(db.leaseId(), held.runId(), holder);
        continue;
      }
      throw new MigrationException(FailureTypes.PREREQUISITE, "the " + role + " database " + db + " is in use by "
          + holder.describe() + "; one migration per database at a time: wait until that migration has completed,"
          + " or abort or roll it back, then start this one again");
    }
    throw new IllegalStateException("could not lease " + db + " after " + ATTEMPTS
        + " attempts; other migrations are claiming it at the same time");
  }

  private void release(String holderWorkflowId, DatabaseIdentity db) {
    Held held = held(db.leaseId());
    if (held == null || !holderWorkflowId.equals(held.holder().workflowId())) return;
    try {
      client.newUntypedWorkflowStub(db.leaseId(), Optional.of(held.runId()), Optional.empty())
          .signal("release", holderWorkflowId);
      log.info("{} released {}", held.holder().migration(), db);
    } catch (WorkflowNotFoundException closed) {
      // Closed meanwhile: released already.
    }
  }

  /** The open lease run under {@code leaseId}, or null when there is none. */
  private Held held(String leaseId) {
    WorkflowExecutionDescription d = describe(leaseId);
    if (d == null || d.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) return null;
    LeaseHolder holder = d.getMemo(DatabaseLeaseWorkflow.HOLDER_MEMO, LeaseHolder.class, LeaseHolder.class);
    return holder == null ? null : new Held(d.getExecution().getRunId(), holder);
  }

  /** Whether the holder's workflow (its latest run, so a continued run counts) is still open. */
  private boolean running(String workflowId) {
    WorkflowExecutionDescription d = describe(workflowId);
    return d != null && d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  private void endRun(String leaseId, String runId, LeaseHolder holder) {
    try {
      // That run only: a racing claimant may already have started a new one under the same id.
      client.newUntypedWorkflowStub(leaseId, Optional.of(runId), Optional.empty())
          .terminate("holder " + holder.describe() + " ended without releasing the lease");
    } catch (WorkflowNotFoundException closed) {
      // Ended meanwhile, by the racing claimant.
    }
  }

  private WorkflowExecutionDescription describe(String workflowId) {
    try {
      return client.newUntypedWorkflowStub(workflowId).describe();
    } catch (WorkflowNotFoundException e) {
      return null;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return null;
      throw e;
    }
  }
}
