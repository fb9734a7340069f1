package dev.phaseshift.workflow;

import dev.phaseshift.model.LeaseHolder;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A lease on one database: while a run of this type is open under the database's lease id
 * ({@link dev.phaseshift.model.DatabaseIdentity#leaseId()}), that database belongs to the migration
 * it names. Temporal lets only one open run hold a workflow id, which is what makes the lease
 * exclusive; it lives on the server, so it outlives any worker, and ends when its holder releases
 * it. The holder is in the memo, so it can be read without a worker.
 */
@WorkflowInterface
public interface DatabaseLeaseWorkflow {
  String TYPE = "DatabaseLease";
  /** Memo key under which the starter records the {@link LeaseHolder}. */
  String HOLDER_MEMO = "holder";

  @WorkflowMethod(name = TYPE)
  void hold(LeaseHolder holder);

  /** Ends the lease if {@code holderWorkflowId} holds it; anyone else's release is ignored. */
  @SignalMethod(name = "release")
  void release(String holderWorkflowId);

  @QueryMethod(name = "holder")
  LeaseHolder holder();
}
