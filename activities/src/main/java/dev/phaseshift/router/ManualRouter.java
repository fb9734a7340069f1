package dev.phaseshift.router;

import dev.phaseshift.plan.MigrationPlan;

/**
 * The operator changes the application's connection string; the workflow waits for the
 * {@code connectionSwitched} signal. Nothing to hold or point here.
 */
public final class ManualRouter implements Router {
  @Override
  public long hold(MigrationPlan plan) {
    return System.nanoTime();
  }

  @Override
  public void release(MigrationPlan plan, Side side) {}

  @Override
  public boolean switchesConnections() {
    return false;
  }
}
