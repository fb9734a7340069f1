package dev.phaseshift.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a fleet plan into the migration plans it stands for and groups them into waves. Pure and
 * deterministic: the CLI validates with it and the fleet workflow expands with it, so both see the
 * same migrations.
 */
public final class FleetPlans {
  /** In the template's URLs, replaced by each database's name. */
  public static final String DATABASE_PLACEHOLDER = "{database}";

  private FleetPlans() {}

  /** Every database's migration plan, in the fleet's order, as the template and the entry make it. */
  public static List<MigrationPlan> expand(FleetPlan fleet) {
    List<MigrationPlan> plans = new ArrayList<>();
    for (FleetDatabase db : fleet.databases() == null ? List.<FleetDatabase>of() : fleet.databases()) {
      plans.add(expand(fleet, db));
    }
    return plans;
  }

  /** One database's plan; null where the entry can be neither (the validator names why). */
  public static MigrationPlan expand(FleetPlan fleet, FleetDatabase db) {
    if (db == null) return null;
    MigrationPlan base = db.plan() != null ? db.plan() : fleet.template();
    if (base == null) return null;
    String name = db.plan() != null && db.plan().name() != null ? db.plan().name() : db.name();
    Endpoint source = db.plan() != null ? base.source() : endpoint(base.source(), db.source(), db.database());
    Endpoint target = db.plan() != null ? base.target() : endpoint(base.target(), db.target(), db.database());
    String requestedBy = base.requestedBy() != null ? base.requestedBy() : fleet.requestedBy();
    return new MigrationPlan(name, source, target, base.tables(), base.copyParallelism(), base.cutover(),
        base.approvalRequired(), base.retention(), requestedBy, base.approval(), base.maintenanceWindows(),
        base.router(), base.targetDisposable(), base.reverseReplication(), base.finalDumpDirectory(),
        base.webhookUrl(), base.mode(), base.lockTimeout(), base.retiredClients(), base.subscriptionAuth(),
        base.verification(), base.optimize(), base.assessment());
  }

  /**
   * The plan as the fleet starts it in a wave: the fleet's sign-off decides whether it waits for an
   * approval, and the wave's windows (if the fleet gives any) replace the plan's.
   */
  public static MigrationPlan inWave(MigrationPlan plan, FleetPlan fleet, int wave) {
    String signOff = fleet.waves().signOff();
    Boolean approval = switch (signOff) {
      case FleetWaves.SIGN_OFF_WAVE -> true;
      case FleetWaves.SIGN_OFF_NONE -> false;
      default -> plan.approvalRequired();
    };
    List<MaintenanceWindow> windows = plan.maintenanceWindows();
    for (WaveWindows w : fleet.waves().windows()) {
      if (w.wave() != null && w.wave() == wave) windows = w.windows();
    }
    return new MigrationPlan(plan.name(), plan.source(), plan.target(), plan.tables(), plan.copyParallelism(),
        plan.cutover(), approval, plan.retention(), plan.requestedBy(), plan.approval(), windows, plan.router(),
        plan.targetDisposable(), plan.reverseReplication(), plan.finalDumpDirectory(), plan.webhookUrl(), plan.mode(),
        plan.lockTimeout(), plan.retiredClients(), plan.subscriptionAuth(), plan.verification(), plan.optimize(),
        plan.assessment());
  }

  /** The wave of each database (by index): the canary first, then waves of the given size. */
  public static List<Integer> waveOf(int databases, int canary, int size) {
    List<Integer> waves = new ArrayList<>();
    for (int i = 0; i < databases; i++) {
      if (canary > 0) {
        waves.add(i < canary ? 0 : 1 + (i - canary) / size);
      } else {
        waves.add(i / size);
      }
    }
    return waves;
  }

  private static Endpoint endpoint(Endpoint template, String url, String database) {
    if (template == null && url == null) return null;
    String u = url != null ? url : template == null ? null : template.url();
    if (u != null && database != null) u = u.replace(DATABASE_PLACEHOLDER, database);
    return new Endpoint(u, template == null ? null : template.user(), template == null ? null : template.password());
  }
}
