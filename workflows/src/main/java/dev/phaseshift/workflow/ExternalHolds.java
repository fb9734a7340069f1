package dev.phaseshift.workflow;

import dev.phaseshift.model.DatabaseIdentities;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import org.slf4j.Logger;

/**
 * What the run holds outside its own history and gives up when it ends (completed, rolled back,
 * rehearsed, or undone after a failure or an abort): the leases on its databases, claimed in
 * PREPARE before anything is changed, so no other migration starts on a database this one still
 * changes; and its drift check schedule, paused at the end since no stream is left to compare through.
 */
final class ExternalHolds {
  private static final Logger log = Workflow.getLogger(ExternalHolds.class);

  private final RunContext run;
  private DatabaseIdentities claimed;

  ExternalHolds(RunContext run) {
    this.run = run;
  }

  /** Fails the run as a prerequisite, naming the migration that holds the database, when another one uses it. */
  void claim() {
    run.show("claiming the source and target databases");
    claimed = run.step("claim the source and target databases").claimDatabases(run.plan());
  }

  /** Gives the databases up, pauses the drift check, and passes {@code result} (a report, or the failure about to be thrown) on. */
  <T> T released(T result) {
    if (claimed == null) return result;
    // Detached: an abort cancels the run's scope, and the lease must still be given up.
    Workflow.newDetachedCancellationScope(() -> {
      try {
        run.steps().releaseDatabases(run.plan(), claimed);
        claimed = null;
      } catch (ActivityFailure failure) {
        // Not worth failing a finished run for: the next claim on these databases finds this run
        // closed and takes the lease over.
        log.warn("releasing the databases failed: {}", Failures.describe(failure));
      }
      if (run.plan().rehearsal()) return;
      try {
        run.steps().pauseDriftCheck(run.plan(), "migration " + run.plan().name() + " ended ("
            + run.state.phase + "): no stream is left to compare through");
      } catch (ActivityFailure failure) {
        log.warn("pausing the drift check schedule failed: {}", Failures.describe(failure));
      }
    }).run();
    return result;
  }
}
