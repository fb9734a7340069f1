package dev.phaseshift.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.PlanInputErrors;
import dev.phaseshift.plan.PlanValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a plan file (YAML or JSON; JSON is YAML) strictly: an unknown key is a mistake to report,
 * not something to ignore, since a misspelt option would silently fall back to its default.
 */
public final class PlanFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private PlanFiles() {}

  /** Thrown with every problem of the file, one per line. */
  public static final class InvalidPlanException extends Exception {
    private final List<String> problems;

    InvalidPlanException(Path file, List<String> problems) {
      super(file + " is not a valid plan:\n- " + String.join("\n- ", problems));
      this.problems = problems;
    }

    public List<String> problems() {
      return problems;
    }
  }

  /** The plan as written, or a bad-input error naming what is wrong with the file. */
  static MigrationPlan loadOrFail(Path file) {
    try {
      return load(file);
    } catch (InvalidPlanException e) {
      throw new CliException(ExitCodes.BAD_INPUT, e.getMessage());
    }
  }

  /** {@link #loadOrFail} with the plan's defaults applied. */
  public static MigrationPlan loadWithDefaults(Path file) {
    return loadOrFail(file).withDefaults();
  }

  public static MigrationPlan load(Path file) throws InvalidPlanException {
    MigrationPlan plan;
    try {
      plan = YAML.readValue(Files.readString(file), MigrationPlan.class);
    } catch (JsonProcessingException e) {
      // Named by field only: Jackson's message would quote the value, which for a password is the secret.
      throw new InvalidPlanException(file, List.of(PlanInputErrors.describe(e)));
    } catch (IOException e) {
      throw new InvalidPlanException(file, List.of("cannot read the file: " + e.getMessage()));
    }
    List<String> problems = new ArrayList<>(PlanValidator.problems(plan));
    if (!problems.isEmpty()) throw new InvalidPlanException(file, problems);
    return plan;
  }

  public static String toJson(MigrationPlan plan) throws JsonProcessingException {
    return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(plan);
  }
}
