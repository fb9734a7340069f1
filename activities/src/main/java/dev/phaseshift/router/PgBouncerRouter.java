package dev.phaseshift.router;

import dev.phaseshift.plan.MigrationPlan;

/** Placeholder until implemented. */
public final class PgBouncerRouter implements Router {
  @Override
  public void hold(MigrationPlan plan) {
    throw new IllegalStateException("placeholder");
  }

  @Override
  public void release(MigrationPlan plan, Side side) {
    throw new IllegalStateException("placeholder");
  }

  @Override
  public boolean switchesConnections() {
    return true;
  }
}
