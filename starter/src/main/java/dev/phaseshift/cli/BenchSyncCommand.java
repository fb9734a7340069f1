package dev.phaseshift.cli;

import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    MigrationPlan plan;
    try {
      plan = PlanFiles.load(file).withDefaults();
    } catch (PlanFiles.InvalidPlanException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    Engine engine = new PostgresEngine();
    long started = System.nanoTime();
    Assessment assessment = engine.inspector().assess(plan);
    if (!assessment.blockers().isEmpty()) {
      System.err.println("the source is not ready: " + assessment.blockers());
      return 3;
    }
    engine.schemaCopier().createTables(plan);
    long schemaDone = System.nanoTime();
    ChangeCapture capture = engine.changeStream().start(plan, "bench-sync");
    List<TableInfo> largestFirst = new ArrayList<>(assessment.allTables());
    largestFirst.sort(Comparator.comparingLong(TableInfo::bytes).reversed().thenComparing(TableInfo::qualifiedName));
    long rows = 0;
    long bytes = 0;
    ExecutorService copies = Executors.newFixedThreadPool(plan.copyParallelism());
    try {
      List<Future<TableCopyResult>> results = new ArrayList<>();
      for (TableInfo table : largestFirst) {
        results.add(copies.submit(() -> engine.bulkCopier().copy(plan, capture, table, Heartbeat.NONE)));
      }
      for (Future<TableCopyResult> r : results) {
        rows += r.get().rows();
        bytes += r.get().bytes();
      }
    } finally {
      copies.shutdownNow();
    }
    long copyDone = System.nanoTime();
    engine.schemaCopier().createIndexesAndConstraints(plan);
    long indexesDone = System.nanoTime();
    engine.changeStream().attach(plan, capture);
    long attached = System.nanoTime();
    System.out.printf("{\"totalMillis\": %d, \"schemaMillis\": %d, \"copyMillis\": %d, \"postDataMillis\": %d,"
            + " \"attachMillis\": %d, \"tables\": %d, \"rows\": %d, \"bytes\": %d}%n",
        ms(attached - started), ms(schemaDone - started), ms(copyDone - schemaDone), ms(indexesDone - copyDone),
        ms(attached - indexesDone), largestFirst.size(), rows, bytes);
    if (!keep) engine.changeStream().undo(plan);
    return 0;
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
