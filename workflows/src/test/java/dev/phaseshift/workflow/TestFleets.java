package dev.phaseshift.workflow;

import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.FleetDatabase;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetStopPolicy;
import dev.phaseshift.plan.FleetWaves;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SecretRef;
import java.util.ArrayList;
import java.util.List;

/** Fleet plans for tests: a template whose URLs name each database, and the given database names. */
public final class TestFleets {
  private TestFleets() {}

  public static MigrationPlan template(boolean approvalRequired) {
    return new MigrationPlan(null,
        new Endpoint("jdbc:postgresql://old-db:5432/{database}", "migrator", SecretRef.ofEnv("SOURCE_PGPASSWORD")),
        new Endpoint("jdbc:postgresql://new-db:5432/{database}", "migrator", SecretRef.ofEnv("TARGET_PGPASSWORD")),
        null, null, null, approvalRequired, null, null);
  }

  public static FleetPlan fleet(String name, List<String> databases, FleetWaves waves, Double maxFailureRate) {
    List<FleetDatabase> dbs = new ArrayList<>();
    for (String db : databases) dbs.add(FleetDatabase.of(db, db.replace('-', '_')));
    return new FleetPlan(name, "alice", template(false), dbs, waves, new FleetStopPolicy(maxFailureRate), "15s");
  }

  public static List<String> names(String prefix, int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) names.add(prefix + i);
    return names;
  }
}
