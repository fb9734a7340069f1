package dev.phaseshift.activities;

import dev.phaseshift.engine.EngineRegistry;
import dev.phaseshift.engine.PhysicalSeeding;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.SeedingActivities;
import java.util.List;
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
    try (StepHeartbeat beating = StepHeartbeat.start("seedPhysically " + plan.name(), latest::get)) {
      return call("seedPhysically", plan, s -> s.seed(plan, progress -> {
        latest.set(progress);
        // Cancelled, or the migration is gone: the seeding ends its tools.
        RuntimeException stop = beating.failure();
        if (stop != null) throw stop;
      }));
    }
  }

  @Override
  public void undoPhysicalSeeding(MigrationPlan plan) {
    call("undoPhysicalSeeding", plan, s -> {
      s.undo(plan);
      return null;
    });
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
