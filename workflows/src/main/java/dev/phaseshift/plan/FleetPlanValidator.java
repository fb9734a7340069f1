package dev.phaseshift.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Static checks of a fleet plan, before anything starts: the fleet's own fields, then every
 * database's expanded plan through {@link PlanValidator}, each problem prefixed with the database
 * it belongs to. Pure and deterministic, so the workflow runs it too.
 */
public final class FleetPlanValidator {
  private FleetPlanValidator() {}

  public static List<String> problems(FleetPlan fleet) {
    List<String> problems = new ArrayList<>();
    if (fleet == null) {
      problems.add("the fleet plan is empty: give name, template and databases");
      return problems;
    }
    if (fleet.name() == null || !fleet.name().matches("[a-z0-9][a-z0-9_-]{0,40}")) {
      problems.add("name: must be 1-41 lower-case letters, digits, '-' or '_', starting with a letter or digit"
          + " (the fleet's workflow id is fleet-<name>)");
    }
    List<FleetDatabase> dbs = fleet.databases() == null ? List.of() : fleet.databases();
    if (dbs.isEmpty()) problems.add("databases: none listed; add one entry per database to move");
    if (dbs.size() > FleetDefaults.MAX_DATABASES) {
      problems.add("databases: " + dbs.size() + " listed; a fleet moves at most " + FleetDefaults.MAX_DATABASES
          + ", split it into several fleets");
    }
    waves(fleet.waves(), dbs.size(), problems);
    if (fleet.stop() != null && fleet.stop().maxFailureRate() != null
        && (fleet.stop().maxFailureRate() < 0 || fleet.stop().maxFailureRate() >= 1)) {
      problems.add("stop.maxFailureRate: " + fleet.stop().maxFailureRate()
          + " must be from 0 (any failure stops the fleet) to below 1, e.g. 0.1");
    }
    if (fleet.statusEvery() != null && (!DurationText.isValid(fleet.statusEvery())
        || DurationText.parse(fleet.statusEvery()).toMillis() < 1000)) {
      problems.add("statusEvery: '" + fleet.statusEvery() + "' must be a duration of 1s or more, e.g. 15s");
    }
    databases(fleet, dbs, problems);
    return problems;
  }

  private static void waves(FleetWaves w, int databases, List<String> problems) {
    if (w == null) return;
    if (w.canary() != null && (w.canary() < 0 || w.canary() > Math.max(databases, 0))) {
      problems.add("waves.canary: " + w.canary() + " must be from 0 (no canary) to the number of databases ("
          + databases + ")");
    }
    if (w.size() != null && w.size() < 1) problems.add("waves.size: " + w.size() + " must be 1 or more");
    if (w.concurrency() != null && (w.concurrency() < 1 || w.concurrency() > 200)) {
      problems.add("waves.concurrency: " + w.concurrency() + " must be between 1 and 200 migrations at once");
    }
    if (w.signOff() != null && !FleetWaves.SIGN_OFFS.contains(w.signOff())) {
      problems.add("waves.signOff: '" + w.signOff() + "' must be one of " + String.join(", ", FleetWaves.SIGN_OFFS));
    }
    if (w.windows() == null) return;
    int canary = w.canary() == null ? FleetDefaults.CANARY : Math.max(w.canary(), 0);
    int size = w.size() == null || w.size() < 1 ? FleetDefaults.WAVE_SIZE : w.size();
    List<Integer> waveOf = FleetPlans.waveOf(databases, canary, size);
    int waveCount = waveOf.isEmpty() ? 0 : waveOf.get(waveOf.size() - 1) + 1;
    for (int i = 0; i < w.windows().size(); i++) {
      WaveWindows ww = w.windows().get(i);
      String field = "waves.windows[" + i + "]";
      if (ww == null || ww.wave() == null || ww.wave() < 0 || ww.wave() >= waveCount) {
        problems.add(field + ".wave: must name a wave from 0 (the canary) to " + (waveCount - 1));
        continue;
      }
      if (ww.windows() == null || ww.windows().isEmpty()) {
        problems.add(field + ".windows: empty; give at least one window or remove the entry");
        continue;
      }
      // The window rules are the migration plan's: check them as a plan would, under this field's name.
      for (String p : PlanValidator.problems(windowsOnly(ww.windows()))) {
        if (p.startsWith("maintenanceWindows")) problems.add(field + "." + p);
      }
    }
  }

  private static void databases(FleetPlan fleet, List<FleetDatabase> dbs, List<String> problems) {
    Map<String, Integer> names = new HashMap<>();
    Map<String, Integer> targets = new HashMap<>();
    for (int i = 0; i < dbs.size(); i++) {
      FleetDatabase db = dbs.get(i);
      String field = "databases[" + i + "]";
      if (db == null) {
        problems.add(field + ": empty entry; give name and database, or a plan");
        continue;
      }
      if (db.plan() != null && (db.database() != null || db.source() != null || db.target() != null)) {
        problems.add(field + ": give either a full plan or database/source/target for the template, not both");
        continue;
      }
      if (db.plan() == null && fleet.template() == null) {
        problems.add(field + ": there is no template to complete; add a template to the fleet or a plan here");
        continue;
      }
      MigrationPlan plan = FleetPlans.expand(fleet, db);
      String label = field + " (" + (plan.name() == null ? "no name" : plan.name()) + ")";
      if (db.plan() == null && db.database() == null && db.source() == null && db.target() == null) {
        problems.add(label + ": give database (filled into the template's URLs) or source and target URLs");
      }
      for (String p : PlanValidator.problems(plan)) problems.add(label + ": " + p);
      if (url(plan.source()) != null && url(plan.source()).contains(FleetPlans.DATABASE_PLACEHOLDER)
          || url(plan.target()) != null && url(plan.target()).contains(FleetPlans.DATABASE_PLACEHOLDER)) {
        problems.add(label + ": the template's URL holds " + FleetPlans.DATABASE_PLACEHOLDER
            + " but this entry gives no database to fill in");
      }
      if (plan.name() != null) {
        Integer first = names.putIfAbsent(plan.name(), i);
        if (first != null) {
          problems.add(label + ": the name is also used by databases[" + first + "]; every migration needs its own name");
        }
      }
      String target = url(plan.target());
      if (target != null) {
        Integer first = targets.putIfAbsent(target, i);
        if (first != null) {
          problems.add(label + ": target " + plan.target().hostAndDatabase() + " is also databases[" + first
              + "]'s target; two migrations must not write into one database");
        }
      }
    }
  }

  private static String url(Endpoint e) {
    return e == null ? null : e.url();
  }

  private static MigrationPlan windowsOnly(List<MaintenanceWindow> windows) {
    return new MigrationPlan(null, null, null, null, null, null, null, null, null, null, windows, null, null, null,
        null, null, null, null, null, null);
  }
}
