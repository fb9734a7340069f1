package dev.phaseshift.workflow;

import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Position;
import dev.phaseshift.model.RehearsalResult;
import dev.phaseshift.model.UnstreamedWork;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * The end of a rehearsal, in place of the switchover: after the copy and the validation it
 * measures how long the target takes to catch up with the source's current position (the work a
 * switchover's freeze waits for), then removes the change capture and everything created on the
 * scratch target.
 */
final class Rehearsal {
  /** A rehearsal stops waiting for the target to catch up after this long and reports no forecast. */
  static final Duration DRAIN_LIMIT = Duration.ofMinutes(2);
  static final Duration DRAIN_POLL = Duration.ofMillis(500);

  private Rehearsal() {}

  static MigrationReport forecastAndTearDown(RunContext run) {
    MigrationState state = run.state;
    MigrationPlan plan = state.plan;
    run.show("rehearsal: measuring how fast the target catches up (write-freeze forecast)");
    long measured = Workflow.currentTimeMillis();
    MigrationActivities lagProbe = run.step("rehearsal: measure lag");
    Lag first = lagProbe.measureLag(plan);
    state.lag = first;
    long forecast = -1;
    while (Workflow.currentTimeMillis() - measured < DRAIN_LIMIT.toMillis()) {
      if (Position.reached(state.lag.applied(), first.source())) {
        forecast = Workflow.currentTimeMillis() - measured;
        break;
      }
      Workflow.sleep(DRAIN_POLL);
      state.lag = lagProbe.measureLag(plan);
    }
    if (PhysicalSeed.physical(plan)) {
      run.show("rehearsal: removing the physical copy (its server and data directory) and the change capture");
      new PhysicalSeed(run).tearDown();
    } else {
      run.show("rehearsal: removing the change capture and the target's objects");
      run.step("rehearsal: remove the change capture").undoChangeCapture(plan);
      run.step("rehearsal: drop the target's objects").dropTargetObjects(plan);
    }
    // The switchover repeats, inside its freeze, what validation spent on large objects and unlogged tables.
    UnstreamedWork unstreamed = state.validation.unstreamedWork();
    if (forecast >= 0) forecast += unstreamed.freezeMillis();
    // A seeding is measured against the database's size, so a later plan's copy forecast scales from it.
    long copyMillis = state.seeded == null ? state.copyMillis : state.seeded.millis();
    long copiedBytes = state.seeded == null ? state.copies.bytes() : state.assessment.totalBytes();
    state.rehearsal = new RehearsalResult(copyMillis, copiedBytes, state.validation.millis(), first.bytes(), forecast,
        true, unstreamed);
    run.enter(Phase.COMPLETED, "");
    run.notify("rehearsed", "rehearsal completed: " + (state.seeded == null ? "copy " + state.copyMillis + " ms"
        : "physical seeding " + state.seeded.millis() + " ms") + ", freeze forecast " + state.rehearsal.forecastText());
    return state.report("REHEARSED", null);
  }
}
