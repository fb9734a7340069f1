package dev.phaseshift.bench;

import dev.phaseshift.cli.PhaseshiftCli;
import dev.phaseshift.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code phaseshift} commands that run the engine in their own process (the demo, with its
 * embedded servers and worker, and the benchmarks that time engine steps without Temporal). They
 * live apart from the CLI so that neither the CLI nor the worker ships them.
 */
@Command(name = "phaseshift", mixinStandardHelpOptions = true, version = "phaseshift 0.1.0",
    description = "The demo and the benchmark commands (the migration commands: ./phaseshift --help).",
    subcommands = {DemoCommand.class, BenchSwitchoverCommand.class, BenchValidateCommand.class,
        CommandLine.HelpCommand.class})
public final class BenchCli {
  public static void main(String[] args) {
    System.exit(PhaseshiftCli.withExitCodes(new CommandLine(new BenchCli())).execute(args));
  }
}
