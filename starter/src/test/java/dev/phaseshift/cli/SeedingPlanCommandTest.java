package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.SeedingResult;
import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plan's {@code seeding} through the CLI: read from YAML and JSON, refused by the validator before anything starts. */
class SeedingPlanCommandTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  /** {@code phaseshift ARGS} as its own process (PhaseshiftCli.main, so System.exit's code is the one checked). */
  private Result run(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), PhaseshiftCli.class.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("phaseshift " + String.join(" ", args) + " did not end within 60s");
    }
    return new Result(p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
  }

  private Path write(String name, String text) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  @Test
  void aPhysicalPlanReadsFromYamlAndJsonAndValidatesWithItsSeeding() throws Exception {
    MigrationPlan yaml = PlanFiles.load(write("plan.yaml", """
        name: shop-move
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5433/shop", user: migrator}
        seeding: {method: physical, dataDirectory: /var/lib/postgresql/18/main, taskQueue: new-host-seeding}
        """));
    assertTrue(yaml.seedingOrDefault().physical());
    assertEquals("new-host-seeding", yaml.seeding().taskQueue());
    MigrationPlan json = PlanFiles.load(write("plan.json", """
        {"name": "shop-move",
         "source": {"url": "jdbc:postgresql://old:5432/shop", "user": "migrator"},
         "target": {"url": "jdbc:postgresql://new:5433/shop", "user": "migrator"},
         "seeding": {"method": "physical", "dataDirectory": "/srv/pg18", "binDirectory": "/usr/lib/postgresql/18/bin"}}
        """));
    assertEquals("/usr/lib/postgresql/18/bin", json.seeding().binDirectory());
    assertEquals("| Seeding | physical into /srv/pg18 on the target host |",
        MigrateCommand.Start.details(json).lines().filter(l -> l.startsWith("| Seeding")).findFirst().orElseThrow());

    Result r = run("plan", "validate", dir.resolve("plan.yaml").toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("\"method\" : \"physical\""), r.out());
  }

  @Test
  void aBadSeedingPlanGetsTheValidatorsMessagesAndExitCodeAndNoWorkflowIsStarted() throws Exception {
    Path bad = write("bad.yaml", """
        name: shop-move
        source: {url: "jdbc:postgresql://old:5432/shop", user: migrator}
        target: {url: "jdbc:postgresql://new:5433/shop_v2", user: migrator}
        tables: {include: ["public.orders"]}
        seeding: {method: physical, dataDirectory: pgdata}
        """);
    // A Temporal address nobody listens on: reaching it would fail with another message and exit code.
    Result r = run("migrate", "start", bad.toString(), "--address", "127.0.0.1:1");
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("is not a valid plan:"), r.err());
    assertTrue(r.err().contains("- seeding.dataDirectory: physical seeding needs the absolute path of the new"
        + " server's data directory on the target host"), r.err());
    assertTrue(r.err().contains("- tables: physical seeding copies the whole database, so no table can be left out;"
        + " remove tables, or use seeding method logical to move a selection"), r.err());
    assertTrue(r.err().contains("- target.url: names database 'shop_v2', but physical seeding keeps the source's"
        + " names; write .../shop in target.url"), r.err());
    assertFalse(r.err().contains("cannot reach Temporal"), "refused before any connection: " + r.err());
    assertFalse(r.out().contains("Started"), r.out());

    Result validate = run("plan", "validate", bad.toString());
    assertEquals(2, validate.code());
    assertTrue(validate.err().contains("- tables: physical seeding copies the whole database"), validate.err());
  }

  @Test
  void theReportShowsTheSeedingInsteadOfACopyThroughput() {
    MigrationReport r = new MigrationReport("shop", "COMPLETED", null, null, null, List.of(), 0, null, null, null,
        List.of(), List.of(), List.of(), List.of(), null, null, null, null, null, null, null,
        new SeedingResult("physical", "new-host-seeding", 42_000));
    String md = ReportMarkdown.render(r, Optional.empty());
    assertTrue(md.contains("| Seeding | physical: pg_basebackup + pg_createsubscriber on the worker of new-host-seeding, 42.0 s |"),
        md);
    assertFalse(md.contains("Copy throughput"), md);
    assertFalse(md.contains("Tables copied"), md);
  }
}
