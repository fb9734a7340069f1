package dev.phaseshift.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code phaseshift} command. */
@Command(name = "phaseshift", mixinStandardHelpOptions = true, version = "phaseshift 0.1.0",
    description = "Moves live databases to new infrastructure with zero downtime, as durable Temporal workflows.",
    subcommands = {DemoCommand.class, PlanCommand.class, MigrateCommand.class, StatusCommand.class,
        ApproveCommand.class, BenchSyncCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the migration or check failed", "2:bad input (plan, arguments)"})
public final class PhaseshiftCli {
  public static void main(String[] args) {
    System.exit(new CommandLine(new PhaseshiftCli()).execute(args));
  }
}
