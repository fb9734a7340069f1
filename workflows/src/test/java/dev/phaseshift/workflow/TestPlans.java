package dev.phaseshift.workflow;

import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SecretRef;

/** Plans for workflow tests; the endpoints are never contacted. */
public final class TestPlans {
  private TestPlans() {}

  public static MigrationPlan plan(String name, boolean approvalRequired) {
    return new MigrationPlan(name,
        new Endpoint("jdbc:postgresql://old-db:5432/shop", "migrator", SecretRef.ofEnv("SOURCE_PGPASSWORD")),
        new Endpoint("jdbc:postgresql://new-db:5432/shop", "migrator", SecretRef.ofEnv("TARGET_PGPASSWORD")),
        null, 2, new CutoverPolicy("30s", 1024L * 1024), approvalRequired, "48h", "alice");
  }
}
