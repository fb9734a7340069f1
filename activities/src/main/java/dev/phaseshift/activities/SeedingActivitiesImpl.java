package dev.phaseshift.activities;

import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.PhysicalSeeding;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.SeedingActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Physical seeding's steps, on the seeding queue that only a worker on the target host serves
 * ({@code phaseshift.seeding-queue}). The seeding heartbeats every second with its latest progress
 * (the stage and the bytes copied so far against the source cluster's size), so a dead worker is
 * noticed within {@link SeedingActivities#SEEDING_HEARTBEAT_TIMEOUT} and operators see how far the
 * copy got; a cancelled step ends its tools.
 */
public class SeedingActivitiesImpl implements SeedingActivities {
  private static final Logger log = LoggerFactory.getLogger(SeedingActivitiesImpl.class);

  private final EngineRegistry engines;

  public SeedingActivitiesImpl(EngineRegistry engines) {
    this.engines = engines;
  }

  @Override
  public List<Finding> checkSeedingHost(MigrationPlan plan) {
    return call("checkSeedingHost", plan, s -> s.checkHost(plan));
  }

  @Override
  public ChangeCapture seedPhysically(MigrationPlan plan) {
    AtomicReference<PhysicalSeeding.Progress> latest =
        new AtomicReference<>(new PhysicalSeeding.Progress("starting", 0, 0));
    ActivityExecutionContext context = context();
    ScheduledExecutorService timer = context == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heartbeat seedPhysically " + plan.name());
      t.setDaemon(true);
      return t;
    });
    AtomicReference<RuntimeException> cancelled = new AtomicReference<>();
    if (timer != null) {
      timer.scheduleAtFixedRate(() -> {
        try {
          context.heartbeat(latest.get());
        } catch (RuntimeException e) {
          // Cancelled, or the migration is gone: the tools are ended at the next progress report.
          cancelled.compareAndSet(null, e);
        }
      }, 0, 1, TimeUnit.SECONDS);
    }
    try {
      return call("seedPhysically", plan, s -> s.seed(plan, progress -> {
        latest.set(progress);
        RuntimeException stop = cancelled.get();
        if (stop != null) throw stop;
      }));
    } finally {
      if (timer != null) timer.shutdownNow();
    }
  }

  @Override
  public void undoPhysicalSeeding(MigrationPlan plan) {
    call("undoPhysicalSeeding", plan, s -> {
      s.undo(plan);
      return null;
    });
  }

  private static ActivityExecutionContext context() {
    try {
      return Activity.getExecutionContext();
    } catch (IllegalStateException notInAnActivity) {
      return null;
    }
  }

  private <T> T call(String name, MigrationPlan plan, Function<PhysicalSeeding, T> step) {
    try {
      return step.apply(engines.forPlan(plan).physicalSeeding());
    } catch (RuntimeException e) {
      int attempt = CurrentActivity.attempt();
      log.warn("step {} of {} failed on attempt {}", name, plan.name(), attempt, e);
      throw StepFailures.of(e, false, attempt);
    }
  }
}
