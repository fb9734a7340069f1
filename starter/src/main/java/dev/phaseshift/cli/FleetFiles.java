package dev.phaseshift.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetPlanValidator;
import dev.phaseshift.plan.PlanInputErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads a fleet plan file (YAML or JSON) as strictly as a migration plan: an unknown key is a mistake. */
final class FleetFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private FleetFiles() {}

  /** The plan's problems, every one, or an empty list; the plan itself through {@link #loadOrFail}. */
  static List<String> problems(Path file) {
    try {
      return FleetPlanValidator.problems(YAML.readValue(Files.readString(file), FleetPlan.class));
    } catch (JsonProcessingException e) {
      // Named by field only: Jackson's message would quote the value, which for a password is the secret.
      return List.of(PlanInputErrors.describe(e));
    } catch (IOException e) {
      return List.of("cannot read the file: " + e.getMessage());
    }
  }

  static FleetPlan loadOrFail(Path file) {
    List<String> problems = problems(file);
    if (!problems.isEmpty()) {
      throw new CliException(ExitCodes.BAD_INPUT, file + " is not a valid fleet plan:\n- " + String.join("\n- ", problems));
    }
    try {
      return YAML.readValue(Files.readString(file), FleetPlan.class);
    } catch (IOException e) {
      throw new CliException(ExitCodes.BAD_INPUT, "cannot read " + file + ": " + e.getMessage());
    }
  }

  static String workflowId(String name) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,40}")) {
      throw new CliException(ExitCodes.BAD_INPUT, "'" + name + "' is not a fleet name: 1-41 lower-case"
          + " letters, digits, '-' or '_' (the fleet plan's name)");
    }
    return "fleet-" + name;
  }
}
