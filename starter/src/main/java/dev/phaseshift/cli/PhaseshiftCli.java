package dev.phaseshift.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code phaseshift} command. It only talks to Temporal: the demo and the benchmark commands,
 * which run the engine in their own process, live in the bench module (the launcher sends
 * {@code demo} and {@code bench-*} there).
 */
@Command(name = "phaseshift", mixinStandardHelpOptions = true, version = "phaseshift 0.1.0",
    description = "Moves live databases to new infrastructure with zero downtime, as durable Temporal workflows.",
    subcommands = {PlanCommand.class, AssessCommand.class, MigrateCommand.class, StatusCommand.class, ListCommand.class,
        ReportCommand.class, FleetCommand.class, OperatorCommands.Approve.class, OperatorCommands.Reject.class, OperatorCommands.Abort.class,
        OperatorCommands.Pause.class, OperatorCommands.Resume.class, OperatorCommands.Rollback.class,
        OperatorCommands.ConnectionSwitched.class, OperatorCommands.ExtendRetention.class,
        OperatorCommands.RetireClient.class, ScheduleCommand.class, RunbookCommand.class,
        CommandLine.HelpCommand.class},
    footerHeading = "%nAlso:%n",
    footer = {"  ./phaseshift demo     a migration under load between two throwaway servers",
        "  ./phaseshift worker   the Temporal worker"},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the migration, check or request failed or was refused",
        "2:bad input (arguments, options, plan file)", "3:cannot reach Temporal, or no such migration or schedule"})
public final class PhaseshiftCli {
  public static void main(String[] args) {
    CommandLine cli = commandLine();
    int code = cli.execute(args);
    // picocli's writers flush on println only; a report written with print would still sit in
    // the buffer when System.exit ends the JVM, and `phaseshift report NAME > r.md` would be empty.
    cli.getOut().flush();
    cli.getErr().flush();
    System.exit(code);
  }

  /** The configured command line; tests run it in-process with their own output streams. */
  public static CommandLine commandLine() {
    return withExitCodes(new CommandLine(new PhaseshiftCli()));
  }

  /** A command line with the exit codes and error messages every phaseshift command shares. */
  public static CommandLine withExitCodes(CommandLine commandLine) {
    return commandLine
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(ExitCodes::onParameterError)
        .setExecutionExceptionHandler(ExitCodes::onExecutionError);
  }
}
