package dev.phaseshift.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.Phase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole workflow against two real PostgreSQL servers under live inserts, updates and deletes:
 * the same code path as {@code ./phaseshift demo}, on a smaller database.
 */
class DemoEndToEndTest {

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void migratesALiveDatabaseWithIdenticalDataAndNoLostWrite(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(console, true);

    Demo.Outcome outcome = Demo.run(new Demo.Options(25, Duration.ofSeconds(3), 2, false), out);
    Path json = dir.resolve("report.json");
    Demo.writeJson(outcome, json);

    String printed = console.toString();
    MigrationReport report = outcome.report();
    assertEquals("COMPLETED", report.outcome(), printed);
    assertEquals(4, report.copies().size(), printed);
    assertTrue(report.validation().passed(), "validation: " + report.validation());
    assertTrue(report.validation().schemaDifferences().isEmpty(), report.validation().schemaDifferences().toString());
    report.validation().tables().forEach(t -> assertTrue(t.match() && t.sourceRows() > 0, t.toString()));
    assertTrue(report.switchover().writeFreezeMillis() > 0);
    assertTrue(report.switchover().writeFreezeMillis() < 15_000, "within the plan's maxFreeze");
    assertTrue(report.verify().passed(), report.verify().toString());
    assertEquals(Phase.OPTIMIZE, report.phases().get(report.phases().size() - 1).phase());
    assertEquals("demo-operator", report.approvals().get(0).approver());

    assertTrue(outcome.load().acknowledgedWrites() > 100, "the load kept writing: " + outcome.load());
    assertEquals(0, outcome.load().missingOnTarget(), outcome.load().examples().toString());
    assertTrue(printed.contains("approves automatically"), printed);
    assertTrue(printed.contains("Application switched to the target"), printed);

    JsonNode node = new ObjectMapper().readTree(Files.readString(json));
    assertEquals("COMPLETED", node.get("outcome").asText());
    assertEquals(0, node.at("/validation/mismatches").asInt());
    assertEquals(0, node.at("/load/missingOnTarget").asInt());
    assertTrue(node.at("/load/acknowledgedWrites").asLong() > 100);
    assertTrue(node.get("writeFreezeMillis").asLong() > 0);
    assertTrue(node.get("copyThroughputMiBps").asDouble() > 0);
    assertEquals(4, node.get("tables").size());
    for (JsonNode table : node.get("tables")) {
      assertTrue(table.get("match").asBoolean() && table.get("rows").asLong() > 0, table.toString());
      assertFalse(table.get("name").asText().isEmpty());
    }
  }
}
