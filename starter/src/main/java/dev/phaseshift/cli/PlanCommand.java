package dev.phaseshift.cli;

import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code phaseshift plan ...}: work with plan files without touching any database. */
@Command(name = "plan", mixinStandardHelpOptions = true, description = "Check plan files.",
    subcommands = {PlanCommand.Validate.class})
public final class PlanCommand {

  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Checks a plan file and prints it with defaults filled in, as the workflow will see it.")
  static final class Validate implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "plan file (YAML or JSON)")
    Path file;

    @Override
    public Integer call() throws Exception {
      try {
        MigrationPlan plan = PlanFiles.load(file).withDefaults();
        System.out.println(file + " is valid. The workflow input:");
        System.out.println(PlanFiles.toJson(plan));
        return 0;
      } catch (PlanFiles.InvalidPlanException e) {
        System.err.println(e.getMessage());
        return 2;
      }
    }
  }
}
