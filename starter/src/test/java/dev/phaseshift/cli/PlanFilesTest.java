package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanFilesTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path file = dir.resolve("plan.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void readsAYamlPlanAndFillsDefaults() throws Exception {
    MigrationPlan plan = PlanFiles.load(write("""
        name: shop-move
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator, password: {env: SRC_PW}}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator, password: {file: /run/secrets/tgt}}
        tables: {include: ["public.*"], exclude: ["public.audit_*"]}
        """)).withDefaults();
    assertEquals("shop-move", plan.name());
    assertEquals("SRC_PW", plan.source().password().env());
    assertEquals("48h", plan.retention());
    assertEquals(true, plan.approvalRequired());
    assertEquals("30s", plan.cutover().maxFreeze());
    assertEquals("100ms", plan.lockTimeout());
    assertTrue(plan.tables().selects("public", "orders"));
    assertTrue(!plan.tables().selects("public", "audit_log"));
  }

  @Test
  void listsEveryProblemAtOnce() throws Exception {
    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write("""
        name: Shop Move
        source: {url: "jdbc:mysql://old/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/", password: {env: A, file: /b}}
        retention: forever
        """)));
    assertEquals(6, e.problems().size(), e.getMessage());
    assertTrue(e.getMessage().contains("name:") && e.getMessage().contains("source.url")
        && e.getMessage().contains("target.url") && e.getMessage().contains("target.user")
        && e.getMessage().contains("target.password")
        && e.getMessage().contains("retention"), e.getMessage());
  }

  @Test
  void aPasswordWrittenIntoThePlanIsRefusedWithTheWayToReferenceIt() throws Exception {
    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write("""
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator, password: hunter2}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        """)));
    assertTrue(e.getMessage().contains("source.password: write {env: NAME} or {file: PATH}, never the password itself"), e.getMessage());
    assertTrue(!e.getMessage().contains("hunter2"), "the secret is not echoed: " + e.getMessage());
  }

  @Test
  void aMisspeltKeyIsReportedNotIgnored() throws Exception {
    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write("""
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        aprovalRequired: false
        """)));
    assertTrue(e.getMessage().contains("unknown field 'aprovalRequired'"), e.getMessage());
  }

  @Test
  void lockTimeoutIsABoundedDuration() throws Exception {
    String plan = """
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        lockTimeout: %s
        """;
    assertEquals("250ms", PlanFiles.load(write(plan.formatted("250ms"))).withDefaults().lockTimeout());
    for (String bad : new String[] {"0ms", "2h", "soon"}) {
      var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write(plan.formatted(bad))));
      assertTrue(e.getMessage().contains("lockTimeout: '" + bad + "' must be a duration from 1ms to 1m"), e.getMessage());
    }
  }

  @Test
  void retiredClientsNeedSomethingToMatchAnAddressAndAReason() throws Exception {
    String plan = """
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        retiredClients:
          - {address: 10.1.0.0/16, applicationName: billing, reason: "billing moves to its own database"}
          %s
        """;
    MigrationPlan ok = PlanFiles.load(write(plan.formatted(""))).withDefaults();
    assertEquals("10.1.0.0/16", ok.retiredClients().get(0).address());
    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write(plan.formatted(
        "- {reason: \"everything\"}\n  - {user: app, address: old-db.internal}\n"))));
    assertTrue(e.getMessage().contains("retiredClients[1]: give user, address or applicationName"), e.getMessage());
    assertTrue(e.getMessage().contains("retiredClients[2].address: 'old-db.internal' is not an IP address"),
        e.getMessage());
    assertTrue(e.getMessage().contains("retiredClients[2].reason: say why"), e.getMessage());
  }

  @Test
  void aPassfileChoiceNamesTheFileOnEachSubscribersHost() throws Exception {
    String plan = """
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        subscriptionAuth: %s
        """;
    assertEquals("stored", PlanFiles.load(write(plan.formatted("{}"))).withDefaults().subscriptionAuth().methodOrDefault());
    MigrationPlan passfile = PlanFiles.load(write(plan.formatted(
        "{method: passfile, passfileOnTarget: /var/lib/postgresql/.pgpass, passfileOnSource: /var/lib/postgresql/.pgpass}")));
    assertEquals("/var/lib/postgresql/.pgpass", passfile.subscriptionAuth().passfileOnTarget());
    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write(plan.formatted(
        "{method: passfile, passfileOnTarget: relative/pgpass}"))));
    assertTrue(e.getMessage().contains("subscriptionAuth.passfileOnTarget: give the absolute path"), e.getMessage());
    assertTrue(e.getMessage().contains("subscriptionAuth.passfileOnSource: give the absolute path"), e.getMessage());
    var m = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write(plan.formatted("{method: kerberos}"))));
    assertTrue(m.getMessage().contains("subscriptionAuth.method: must be stored, passfile or none"), m.getMessage());
  }

  @Test
  void theVerificationWindowAndOptimizeReadFromYamlWithDefaultsAndEachMistakeSaysHowToFixIt() throws Exception {
    String plan = """
        name: shop
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5432/shop", user: migrator}
        %s
        """;
    MigrationPlan defaults = PlanFiles.load(write(plan.formatted(""))).withDefaults();
    assertEquals("15m", defaults.verification().window());
    assertEquals("30s", defaults.verification().sampleInterval());
    assertEquals("rollback", defaults.verification().onFailure());
    assertEquals(2.0, defaults.verification().maxLatencyRatio());
    assertEquals("warn", defaults.verification().staleClients());
    assertEquals(false, defaults.optimize().freezes());

    MigrationPlan set = PlanFiles.load(write(plan.formatted(
        "verification: {window: 5m, onFailure: notify, maxLatencyRatio: 3.0, staleClients: fail, failureLimit: 0}\n"
            + "optimize: {freeze: true}"))).withDefaults();
    assertEquals("5m", set.verification().window());
    assertEquals("notify", set.verification().onFailure());
    assertEquals(3.0, set.verification().maxLatencyRatio());
    assertEquals(0, set.verification().failureLimit());
    assertEquals(true, set.optimize().freezes());

    var e = assertThrows(PlanFiles.InvalidPlanException.class, () -> PlanFiles.load(write(plan.formatted(
        "reverseReplication: false\nverification: {window: soon, onFailure: rollback, staleClients: maybe,"
            + " maxLatencyRatio: 0.5, sampleInterval: 10ms}"))));
    assertTrue(e.getMessage().contains("verification.window: not a duration"), e.getMessage());
    assertTrue(e.getMessage().contains("verification.onFailure: rollback needs reverseReplication: true"), e.getMessage());
    assertTrue(e.getMessage().contains("verification.staleClients: must be fail or warn"), e.getMessage());
    assertTrue(e.getMessage().contains("verification.maxLatencyRatio: must be 1.0 or more"), e.getMessage());
    assertTrue(e.getMessage().contains("verification.sampleInterval: must be a duration of 1s or more"), e.getMessage());
    assertEquals("notify", PlanFiles.load(write(plan.formatted("reverseReplication: false"))).withDefaults()
        .verification().onFailure(), "without the reverse stream the window only notifies");
  }
}
