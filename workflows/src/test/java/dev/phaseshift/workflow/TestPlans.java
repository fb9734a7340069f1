package dev.phaseshift.workflow;

import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.RouterConfig;
import java.util.List;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SecretRef;

/** Plans for workflow tests; the endpoints are never contacted. */
public final class TestPlans {
  private TestPlans() {}

  /** A plan with only the fields every plan has: no approval policy, windows, router or webhook. */
  public static MigrationPlan plan(String name, boolean approvalRequired) {
    return new MigrationPlan(name,
        new Endpoint("jdbc:postgresql://old-db:5432/shop", "migrator", SecretRef.ofEnv("SOURCE_PGPASSWORD")),
        new Endpoint("jdbc:postgresql://new-db:5432/shop", "migrator", SecretRef.ofEnv("TARGET_PGPASSWORD")),
        null, 2, new CutoverPolicy("30s", 1024L * 1024), approvalRequired, "48h", "alice");
  }

  /** A plan whose traffic moves through PgBouncer, so no operator confirms the connection switch. */
  public static MigrationPlan routed(String name, ApprovalPolicy approval, List<MaintenanceWindow> windows) {
    MigrationPlan p = plan(name, approval != null);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), approval, windows,
        new RouterConfig("pgbouncer", "jdbc:postgresql://bouncer:6432/pgbouncer", "admin", null, "shop",
            "/etc/pgbouncer/pgbouncer.ini"),
        null, null, null, "http://hooks.internal/phaseshift");
  }

  /** The same with the manual router: the workflow waits for connectionSwitched after switchover. */
  public static MigrationPlan manual(String name) {
    MigrationPlan p = routed(name, null, null);
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), null,
        null, null, null, p.webhookUrl());
  }
}
