package dev.phaseshift.workflow;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.model.Position;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.Activity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The target-host steps of physical seeding for workflow tests: each call goes into the scripted
 * activities' call list (so tests read one order of every step) and failures and holds are
 * scripted there; the queue each call ran on is kept apart.
 */
public class ScriptedSeeding implements SeedingActivities {
  private final ScriptedActivities activities;
  /** What the target host reports; healthy (nothing) by default. */
  public volatile List<Finding> findings = List.of();
  public final List<String> queues = Collections.synchronizedList(new ArrayList<>());

  public ScriptedSeeding(ScriptedActivities activities) {
    this.activities = activities;
  }

  private void step(String name) {
    queues.add(Activity.getExecutionContext().getInfo().getActivityTaskQueue());
    activities.step(name);
  }

  @Override
  public List<Finding> checkSeedingHost(MigrationPlan plan) {
    step("checkSeedingHost");
    return findings;
  }

  @Override
  public ChangeCapture seedPhysically(MigrationPlan plan) {
    step("seedPhysically");
    // pg_createsubscriber's consistent point: no snapshot, since nothing is copied under one.
    return new ChangeCapture(plan.objectName(), null, new Position(0x1A2B3C, "0/1A2B3C"));
  }

  @Override
  public void undoPhysicalSeeding(MigrationPlan plan) {
    step("undoPhysicalSeeding");
  }
}
