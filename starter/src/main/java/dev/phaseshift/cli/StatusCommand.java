package dev.phaseshift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code phaseshift status NAME}: where a migration is and what it waits for. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows a migration's phase, copy progress, lag and what it waits for.")
public final class StatusCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", description = "migration name (the plan's name)")
  String name;

  @Option(names = "--output", defaultValue = "text", description = "text or json")
  String output;

  @Option(names = "--watch", description = "refresh every 2 seconds until interrupted")
  boolean watch;

  @Mixin TemporalOptions temporal;

  @Override
  public Integer call() throws Exception {
    var client = temporal.client();
    do {
      LiveStatus live = LiveStatus.read(client, "migration-" + name);
      if ("json".equals(output)) {
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(live));
      } else {
        System.out.println(live.line());
      }
      if (watch) Thread.sleep(2000);
    } while (watch);
    return 0;
  }
}
