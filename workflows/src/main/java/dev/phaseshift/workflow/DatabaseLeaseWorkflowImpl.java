package dev.phaseshift.workflow;

import dev.phaseshift.model.LeaseHolder;
import io.temporal.workflow.Workflow;

/** Holds the lease until its holder releases it: no timers and no activities, so its history stays a few events long. */
public class DatabaseLeaseWorkflowImpl implements DatabaseLeaseWorkflow {
  private LeaseHolder holder;
  private boolean released;

  @Override
  public void hold(LeaseHolder holder) {
    this.holder = holder;
    Workflow.setCurrentDetails("Database **" + holder.database() + "** is leased to " + holder.describe()
        + ": no other migration may use it until that migration completes, is aborted or rolled back.");
    Workflow.await(() -> released);
  }

  @Override
  public void release(String holderWorkflowId) {
    // A signal that arrives before the run's first task has no holder yet; it cannot be the holder's.
    if (holder != null && holder.workflowId().equals(holderWorkflowId)) released = true;
  }

  @Override
  public LeaseHolder holder() {
    return holder;
  }
}
