package dev.phaseshift.cli;

import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code phaseshift bench-sync PLAN}: the initial sync of a migration, timed, in this process and
 * without Temporal: the same engine steps the workflow's MIGRATE phase runs, in the same order,
 * with the copies scheduled as the workflow schedules them (largest table first, at most
 * copyParallelism at once). It ends when the change stream is attached and prints one JSON line.
 * Meant for benchmarks against empty targets; the capture is undone afterwards unless told not to.
 */
@Command(name = "bench-sync", mixinStandardHelpOptions = true,
    description = "Times an initial sync (schema, parallel copy, indexes, change stream attached) without Temporal.")
public final class BenchSyncCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PLAN", description = "plan file (YAML or JSON)")
  Path file;

  @Option(names = "--keep", description = "leave slot, publication and subscription in place afterwards")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    MigrationPlan plan = PlanFiles.loadWithDefaults(file);
    Engine engine = new PostgresEngine();
    InitialSync.Timings timings;
    try {
      timings = InitialSync.run(engine, plan);
    } catch (InitialSync.NotReady e) {
      System.err.println(e.getMessage());
      return 3;
    }
    // Printed before the undo: bench/run.sh stops its clock when this line arrives.
    System.out.println("{" + timings.json() + "}");
    System.out.flush();
    if (!keep) engine.changeStream().undo(plan);
    return 0;
  }
}
