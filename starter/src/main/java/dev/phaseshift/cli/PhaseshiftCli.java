package dev.phaseshift.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code phaseshift} command. */
@Command(name = "phaseshift", mixinStandardHelpOptions = true, version = "phaseshift 0.1.0",
    description = "Moves live databases to new infrastructure with zero downtime, as durable Temporal workflows.",
    subcommands = {DemoCommand.class, PlanCommand.class, MigrateCommand.class, StatusCommand.class, ListCommand.class,
        ReportCommand.class, OperatorCommands.Approve.class, OperatorCommands.Reject.class, OperatorCommands.Abort.class,
        OperatorCommands.Pause.class, OperatorCommands.Resume.class, OperatorCommands.Rollback.class,
        OperatorCommands.ConnectionSwitched.class, OperatorCommands.ExtendRetention.class, ScheduleCommand.class,
        BenchSyncCommand.class, BenchValidateCommand.class,
        BenchSwitchoverCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the migration, check or request failed or was refused",
        "2:bad input (arguments, options, plan file)", "3:cannot reach Temporal, or no such migration or schedule"})
public final class PhaseshiftCli {
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests run it in-process with their own output streams. */
  public static CommandLine commandLine() {
    return new CommandLine(new PhaseshiftCli())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(ExitCodes::onParameterError)
        .setExecutionExceptionHandler(ExitCodes::onExecutionError);
  }
}
