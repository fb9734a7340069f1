package dev.phaseshift.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code phaseshift demo}: a complete migration between two throwaway servers under live writes. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Migrates a sample shop database between two embedded PostgreSQL servers while an",
        "application keeps writing, and proves no acknowledged write was lost."})
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--json", paramLabel = "FILE", description = "also write the report as JSON")
  Path json;

  @Option(names = "--size-mb", defaultValue = "200", description = "sample data size in MB (default: ${DEFAULT-VALUE})")
  int megabytes;

  @Option(names = "--retention-seconds", defaultValue = "15",
      description = "how long the old database is kept before decommissioning (default: ${DEFAULT-VALUE})")
  int retentionSeconds;

  @Option(names = "--load-sessions", defaultValue = "2", description = "concurrent writing sessions (default: ${DEFAULT-VALUE})")
  int loadSessions;

  @Option(names = "--in-process-temporal",
      description = "use the SDK's in-process Temporal even when a temporal binary is on PATH")
  boolean inProcess;

  @Override
  public Integer call() throws Exception {
    Demo.Outcome outcome = Demo.run(new Demo.Options(megabytes, Duration.ofSeconds(retentionSeconds), loadSessions,
        !inProcess), System.out);
    if (json != null) {
      Demo.writeJson(outcome, json);
      System.out.println("Report written to " + json);
    }
    return outcome.succeeded() ? 0 : 1;
  }
}
