package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan a newcomer copies from the README must be a valid plan. */
class ReadmePlanTest {
  @Test
  void theReadmesExamplePlanIsValid(@TempDir Path dir) throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("```yaml\n");
    assertTrue(start >= 0, "the README shows a plan in a yaml block");
    String yaml = readme.substring(start + 8, readme.indexOf("```", start + 8));
    Path file = dir.resolve("plan.yaml");
    Files.writeString(file, yaml);

    MigrationPlan plan = PlanFiles.load(file).withDefaults();

    assertEquals("pgbouncer", plan.router().type());
    assertEquals(2, plan.maintenanceWindows().size());
    assertEquals("SOURCE_PGPASSWORD", plan.source().password().env());
  }
}
