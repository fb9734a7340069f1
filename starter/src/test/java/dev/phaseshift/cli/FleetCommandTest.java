package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code phaseshift fleet validate}: the README's fleet plan is valid, a broken one lists every problem. */
class FleetCommandTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PhaseshiftCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void theReadmesFleetPlanIsValidAndItsWavesAreListed() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int section = readme.indexOf("### Fleets: many databases in waves");
    int start = readme.indexOf("```yaml\n", section);
    Path file = dir.resolve("fleet.yaml");
    Files.writeString(file, readme.substring(start + 8, readme.indexOf("```", start + 8)));
    Result r = run("fleet", "validate", file.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("fleet q3-upgrade, 3 database(s) in 2 wave(s), 5 at once, sign-off per wave"), r.out());
    assertTrue(r.out().contains("  wave 0  shop-eu  old-db:5432/shop_eu -> new-db:5432/shop_eu"), r.out());
    assertTrue(r.out().contains("  wave 1  legacy  old-c:5432/legacy -> new-c:5432/legacy"), r.out());
  }

  @Test
  void aBrokenFleetPlanListsEveryProblemWithItsDatabaseAndExitsTwo() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, """
        name: bad
        template:
          source: {url: "jdbc:postgresql://old/{database}", user: m}
          target: {url: "jdbc:postgresql://new/{database}", user: m}
        databases:
          - {name: a, database: a}
          - {name: a, database: b}
        waves: {signOff: later}
        """);
    Result r = run("fleet", "validate", file.toString());
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("is not a valid fleet plan:"), r.err());
    assertTrue(r.err().contains("- waves.signOff: 'later' must be one of database, wave, none"), r.err());
    assertTrue(r.err().contains("- databases[1] (a): the name is also used by databases[0]"), r.err());
  }

  @Test
  void anInlinePasswordIsNamedByFieldNeverShown() throws Exception {
    Path file = dir.resolve("secret.yaml");
    Files.writeString(file, """
        name: s
        template:
          source: {url: "jdbc:postgresql://old/x", user: m, password: hunter2}
        databases: [{name: a, database: a}]
        """);
    Result r = run("fleet", "validate", file.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("template.source.password"), r.err());
    assertTrue(!r.err().contains("hunter2") && !r.out().contains("hunter2"), r.err());
  }

  @Test
  void theFleetAndTheDatabaseAreTheArgumentsInThatOrderAndABadFleetNameIsRefusedBeforeAnythingIsSent() {
    CommandLine.ParseResult parsed = PhaseshiftCli.commandLine().parseArgs("fleet", "skip", "q3", "shop-eu", "--as", "ops");
    FleetSteer.Skip skip = (FleetSteer.Skip) parsed.subcommand().subcommand().commandSpec().userObject();
    assertEquals("q3", skip.named.name);
    assertEquals("shop-eu", skip.database);
    assertEquals("ops", skip.by);
    for (String command : new String[] {"status", "report", "pause", "resume", "abort"}) {
      Result r = run("fleet", command, "Not A Name", "--address", "127.0.0.1:1");
      assertEquals(2, r.code(), command + ": " + r.err());
      assertTrue(r.err().contains("'Not A Name' is not a fleet name"), command + ": " + r.err());
    }
  }
}
