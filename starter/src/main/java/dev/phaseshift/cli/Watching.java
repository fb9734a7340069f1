package dev.phaseshift.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --watch} and {@code --interval}, shared by the commands that redraw until something ends. */
final class Watching {
  @Option(names = "--watch", description = "redraw every --interval seconds until it ends")
  boolean watch;

  @Option(names = "--interval", defaultValue = "2", description = "seconds between redraws with --watch (default ${DEFAULT-VALUE})")
  int interval;

  void check() {
    if (interval < 1) throw new CliException(ExitCodes.BAD_INPUT, "--interval must be 1 second or more");
  }

  /** Clears the terminal before a redraw, so the newest state stands at the top. */
  void clear(PrintWriter out) {
    if (watch) out.print("\033[H\033[2J");
  }

  void pause() {
    OperatorCommands.sleep(interval * 1000L);
  }
}
