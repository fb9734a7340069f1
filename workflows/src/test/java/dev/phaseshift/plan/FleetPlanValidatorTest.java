package dev.phaseshift.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.workflow.TestFleets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetPlanValidatorTest {

  @Test
  void theTemplateIsCompletedPerDatabaseAndSecretsStayReferences() {
    FleetPlan fleet = new FleetPlan("q3", "alice", TestFleets.template(true), List.of(
        FleetDatabase.of("shop-eu", "shop_eu"),
        new FleetDatabase("billing", null, "jdbc:postgresql://old-b:5432/billing", "jdbc:postgresql://new-b:5432/billing", null)),
        null, null, null);
    assertEquals(List.of(), FleetPlanValidator.problems(fleet));
    List<MigrationPlan> plans = FleetPlans.expand(fleet);
    assertEquals("jdbc:postgresql://old-db:5432/shop_eu", plans.get(0).source().url());
    assertEquals("jdbc:postgresql://new-db:5432/shop_eu", plans.get(0).target().url());
    assertEquals("migration-shop-eu", plans.get(0).workflowId());
    assertEquals("alice", plans.get(0).requestedBy());
    assertEquals(SecretRef.ofEnv("SOURCE_PGPASSWORD"), plans.get(0).source().password());
    assertEquals("jdbc:postgresql://new-b:5432/billing", plans.get(1).target().url());
    assertEquals("fleet-q3", fleet.workflowId());
  }

  @Test
  void everySectionOfTheTemplateReachesTheMigrationItStartsInItsWave() {
    MigrationPlan template = TestFleets.template(true).withAssessmentSample("0s")
        .withVerification(VerificationPolicy.off()).withOptimize(new OptimizePolicy(true));
    FleetPlan fleet = new FleetPlan("q3", "alice", template, List.of(FleetDatabase.of("shop-eu", "shop_eu")),
        null, null, null).withDefaults();
    MigrationPlan started = FleetPlans.inWave(FleetPlans.expand(fleet).get(0), fleet, 0);
    assertEquals("0s", started.assessment().sample());
    assertEquals("0s", started.verification().window());
    assertEquals(true, started.optimize().freeze());
  }

  @Test
  void wavesStartWithTheCanaryThenGoInTheGivenSize() {
    assertEquals(List.of(0, 1, 1, 1, 2, 2, 2, 3), FleetPlans.waveOf(8, 1, 3));
    assertEquals(List.of(0, 0, 1, 1), FleetPlans.waveOf(4, 0, 2));
  }

  @Test
  void signOffAndWaveWindowsShapeEachMigrationsPlan() {
    List<MaintenanceWindow> saturday = List.of(new MaintenanceWindow("0 2 * * SAT", "2h", null, null, null));
    FleetPlan fleet = TestFleets.fleet("w", List.of("a", "b"),
        new FleetWaves(1, 1, 1, "wave", List.of(new WaveWindows(1, saturday))), null).withDefaults();
    MigrationPlan b = FleetPlans.inWave(FleetPlans.expand(fleet).get(1), fleet, 1);
    assertEquals(true, b.approvalRequired(), "a wave's sign-off is passed to migrations that wait for one");
    assertEquals(saturday, b.maintenanceWindows());
    assertEquals(null, FleetPlans.inWave(FleetPlans.expand(fleet).get(0), fleet, 0).maintenanceWindows());
  }

  @Test
  void everyProblemIsNamedWithItsDatabaseBeforeAnythingStarts() {
    MigrationPlan template = TestFleets.template(false);
    FleetPlan fleet = new FleetPlan("Bad Name", null, template, List.of(
        FleetDatabase.of("a", "a"),
        FleetDatabase.of("a", "b"),
        new FleetDatabase("c", null, null, null, null),
        new FleetDatabase("d", "d", null, null, template),
        FleetDatabase.of("UPPER", "e"),
        new FleetDatabase("f", null, null, "jdbc:postgresql://new-db:5432/a", null)),
        new FleetWaves(-1, 0, 0, "sometimes", List.of(new WaveWindows(9, List.of()))),
        new FleetStopPolicy(1.5), "0s");
    List<String> problems = FleetPlanValidator.problems(fleet);
    String all = String.join("\n", problems);
    for (String expected : List.of(
        "name: must be 1-41 lower-case letters",
        "waves.canary: -1 must be from 0",
        "waves.size: 0 must be 1 or more",
        "waves.concurrency: 0 must be between 1 and 200",
        "waves.signOff: 'sometimes' must be one of database, wave, none",
        "waves.windows[0].wave: must name a wave",
        "stop.maxFailureRate: 1.5 must be from 0",
        "statusEvery: '0s' must be a duration of 1s or more",
        "databases[1] (a): the name is also used by databases[0]",
        "databases[2] (c): give database (filled into the template's URLs) or source and target URLs",
        "databases[2] (c): the template's URL holds {database} but this entry gives no database to fill in",
        "databases[3]: give either a full plan or database/source/target for the template, not both",
        "databases[4] (UPPER): name: must be 1-41 lower-case letters",
        "databases[5] (f): target new-db:5432/a is also databases[0]'s target")) {
      assertTrue(all.contains(expected), "missing: " + expected + "\nin:\n" + all);
    }
  }

  @Test
  void aFleetWithoutDatabasesOrTemplateSaysWhatToAdd() {
    assertEquals(List.of("databases: none listed; add one entry per database to move"),
        FleetPlanValidator.problems(new FleetPlan("empty", null, TestFleets.template(false), List.of(), null, null, null)));
    assertTrue(FleetPlanValidator.problems(new FleetPlan("x", null, null, List.of(FleetDatabase.of("a", "a")), null,
        null, null)).get(0).contains("there is no template to complete"));
  }
}
