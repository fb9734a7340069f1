package dev.phaseshift.bench;

import dev.phaseshift.activities.RoutedMove;
import dev.phaseshift.cli.PlanFiles;
import dev.phaseshift.engine.Engine;
import dev.phaseshift.engine.postgres.PostgresEngine;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.router.Router;
import dev.phaseshift.router.Routers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code phaseshift bench-switchover PLAN}: one whole migration through PgBouncer, without
 * Temporal, timed at the switchover: the initial sync ({@link InitialSync}), the wait for lag
 * below cutover.maxLagBytes, the long-transaction check, then the switchover as the workflow's
 * switchover activity runs it ({@link RoutedMove}: the engine prepares, holds traffic at PgBouncer,
 * freezes and hands over; the router releases towards the target, or back to the source if the
 * engine step fails). It prints one JSON line with the engine's write
 * freeze, the time clients were held at PgBouncer and where that time went, then decommissions
 * the migration (replication objects and bookkeeping on both sides) so the next one starts clean.
 */
@Command(name = "bench-switchover", mixinStandardHelpOptions = true,
    description = "Migrates through PgBouncer without Temporal and times the switchover's write freeze.")
public final class BenchSwitchoverCommand implements Callable<Integer> {
  private static final Duration LAG_WAIT = Duration.ofMinutes(10);
  private static final long LAG_POLL_MILLIS = 200;

  @Parameters(paramLabel = "PLAN", description = "plan file (YAML or JSON) whose router is pgbouncer")
  Path file;

  @Option(names = "--keep", description = "leave replication objects and bookkeeping in place after the switchover")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    MigrationPlan plan = PlanFiles.loadWithDefaults(file);
    if (!RouterConfig.PGBOUNCER.equals(plan.router().typeOrDefault())) {
      System.err.println(file + ": bench-switchover measures the freeze clients see at PgBouncer; set router.type"
          + " to pgbouncer (with adminUrl, user, database and configFile)");
      return 2;
    }
    Engine engine = new PostgresEngine();
    InitialSync.Timings sync;
    try {
      sync = InitialSync.run(engine, plan);
    } catch (InitialSync.NotReady e) {
      System.err.println(e.getMessage());
      return 3;
    }
    long lagStarted = System.nanoTime();
    Lag lag = waitForLag(engine, plan);
    long lagMillis = InitialSync.ms(System.nanoTime() - lagStarted);
    List<String> longTransactions = engine.cutover().longWriteTransactions(plan);
    if (!longTransactions.isEmpty()) {
      System.err.println("long write transactions on the source would hold the freeze: " + longTransactions);
      return 3;
    }

    // What the workflow's switchover activity runs (MigrationActivitiesImpl.switchover), with the
    // step times it keeps to itself: preparing (engine and router checks, nobody held), PAUSE, the
    // engine's freeze and hand-over, and the release.
    long heldAtEpoch = System.currentTimeMillis();
    long clock = System.nanoTime();
    RoutedMove.Timed<SwitchoverResult> moved = RoutedMove.run(Routers.forPlan(plan), plan, Router.Side.TARGET,
        hold -> engine.cutover().switchover(plan, hold));
    SwitchoverResult result = moved.result().withRouterPause(moved.heldMillis());
    long releasedAtEpoch = heldAtEpoch + InitialSync.ms(moved.releasedAt() - clock);
    heldAtEpoch += InitialSync.ms(moved.heldAt() - clock);

    System.out.printf("{\"migration\": \"%s\", \"writeFreezeMillis\": %d, \"routerPauseMillis\": %d,"
            + " \"prepareMillis\": %d, \"pauseMillis\": %d, \"engineMillis\": %d, \"releaseMillis\": %d,"
            + " \"heldAtEpochMillis\": %d, \"releasedAtEpochMillis\": %d, \"sessionsTerminated\": %d,"
            + " \"sequencesCopied\": %d, \"lagBytesBeforeSwitch\": %d, \"lagWaitMillis\": %d, \"sync\": {%s}}%n",
        plan.name(), result.writeFreezeMillis(), result.routerPauseMillis(),
        InitialSync.ms(moved.heldAt() - moved.startedAt()), InitialSync.ms(moved.holdDoneAt() - moved.heldAt()),
        InitialSync.ms(moved.movedAt() - moved.holdDoneAt()), InitialSync.ms(moved.releasedAt() - moved.movedAt()),
        heldAtEpoch, releasedAtEpoch, result.sessionsTerminated(), result.sequencesCopied(), lag.bytes(), lagMillis,
        sync.json());
    if (!keep) engine.cutover().decommission(plan);
    return 0;
  }

  /** As the workflow does before a switchover: lag at or below cutover.maxLagBytes. */
  private static Lag waitForLag(Engine engine, MigrationPlan plan) throws InterruptedException {
    long deadline = System.nanoTime() + LAG_WAIT.toNanos();
    while (true) {
      Lag lag = engine.changeStream().lag(plan);
      if (lag.bytes() <= plan.cutover().maxLagBytes()) return lag;
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("replication lag still " + lag.bytes() + " bytes after " + LAG_WAIT.toMinutes()
            + " minutes, above cutover.maxLagBytes " + plan.cutover().maxLagBytes() + "; the target cannot keep up");
      }
      Thread.sleep(LAG_POLL_MILLIS);
    }
  }
}
