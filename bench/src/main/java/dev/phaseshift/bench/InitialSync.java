package dev.phaseshift.bench;

import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.Heartbeat;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The MIGRATE phase's engine steps in this process, without Temporal, in the workflow's order and
 * with its copy schedule (largest table first, at most copyParallelism at once): how
 * bench-switchover gets a migration to the point it times, the switchover. It ends when the change
 * stream is attached. The initial-sync benchmark does not use it: it times the real workflow
 * through a worker (bench/run.sh), since this path does not batch small tables as the workflow does.
 */
final class InitialSync {
  /** Durations in milliseconds, and what was copied. */
  record Timings(long totalMillis, long schemaMillis, long copyMillis, long postDataMillis, long attachMillis,
      int tables, long rows, long bytes) {
    String json() {
      return String.format("\"totalMillis\": %d, \"schemaMillis\": %d, \"copyMillis\": %d, \"postDataMillis\": %d,"
              + " \"attachMillis\": %d, \"tables\": %d, \"rows\": %d, \"bytes\": %d",
          totalMillis, schemaMillis, copyMillis, postDataMillis, attachMillis, tables, rows, bytes);
    }
  }

  /** The source is not ready for a migration; the message lists why. */
  static final class NotReady extends Exception {
    NotReady(String message) {
      super(message);
    }
  }

  private InitialSync() {}

  static Timings run(Engine engine, MigrationPlan plan) throws Exception {
    long started = System.nanoTime();
    Assessment assessment = engine.inspector().assess(plan);
    if (!assessment.blockers().isEmpty()) throw new NotReady("the source is not ready: " + assessment.blockers());
    engine.schemaCopier().createTables(plan);
    long schemaDone = System.nanoTime();
    ChangeCapture capture = engine.changeStream().start(plan);
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
    return new Timings(ms(attached - started), ms(schemaDone - started), ms(copyDone - schemaDone),
        ms(indexesDone - copyDone), ms(attached - indexesDone), largestFirst.size(), rows, bytes);
  }

  static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
