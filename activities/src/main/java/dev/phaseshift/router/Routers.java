package dev.phaseshift.router;

import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;

/** Picks the router a plan names. */
public final class Routers {
  private Routers() {}

  public static Router forPlan(MigrationPlan plan) {
    String type = plan.router() == null ? RouterConfig.MANUAL : plan.router().typeOrDefault();
    return RouterConfig.PGBOUNCER.equals(type) ? new PgBouncerRouter() : new ManualRouter();
  }
}
