package dev.phaseshift.workflow;

import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.model.VerificationStatus;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import java.time.Duration;
import java.time.Instant;
import io.temporal.workflow.Workflow;
import java.util.List;

/**
 * VERIFY's window after the switchover: samples the new primary (and the old database) every
 * sample interval against a baseline the source gave just before the switch, and when the plan's
 * conditions fail often enough, starts the lossless rollback or only notifies, as the plan says.
 *
 * <p>The baseline is the source between two readings: one when SWITCHOVER begins, one right
 * before each freeze attempt, so it covers the traffic the application sent while the switchover
 * waited (for approval, a window, lag) and ends where the switch starts.
 */
final class VerificationWindow {
  /**
   * Samples per window at most: each leaves a timer and an activity in the history, so a long
   * window samples less often rather than growing the history without bound.
   */
  static final int MAX_SAMPLES = 240;

  private final RunContext run;
  private final MigrationState state;
  private DatabaseCounters baselineStart;
  private VerificationBaseline baseline;

  VerificationWindow(RunContext run) {
    this.run = run;
    this.state = run.state;
  }

  /** The first reading of the source's baseline, when SWITCHOVER begins. */
  void beginBaseline() {
    if (length().isZero()) return;
    baselineStart = run.step("verification baseline: first reading of the source").verificationCounters(run.plan());
  }

  /** The baseline from the first reading to now, right before a freeze; a later attempt takes it again. */
  void takeBaseline() {
    if (baselineStart == null) return;
    baseline = run.step("verification baseline: the source before the switch")
        .verificationBaseline(run.plan(), baselineStart);
  }

  /** The window's length: the plan's, but never past the retention window, after which nothing can roll back. */
  Duration length() {
    MigrationPlan plan = run.plan();
    VerificationPolicy p = plan.verificationOrDefault();
    if (plan.rehearsal()) return Duration.ZERO;
    Duration retention = DurationText.parse(plan.retention());
    Duration window = p.windowDuration();
    return window.compareTo(retention) > 0 ? retention : window;
  }

  /** Watches until the window ends, a rollback is requested, or a failed window rolls back. */
  void watch() {
    if (baseline == null || state.rollbackRequested) return;
    MigrationPlan plan = run.plan();
    VerificationPolicy p = plan.verification();
    long ends = Workflow.currentTimeMillis() + length().toMillis();
    String endsAt = Instant.ofEpochMilli(ends).toString();
    Duration interval = p.sampleDuration();
    Duration bounded = length().dividedBy(MAX_SAMPLES);
    if (bounded.compareTo(interval) > 0) interval = bounded;

    VerificationReading previous =
        run.step("verification window: first reading").verificationSample(plan, baseline, null).reading();
    Tally tally = new Tally(baseline);
    state.verification = tally.status("watching", endsAt, List.of(), List.of(), List.of());
    boolean acted = false;
    for (long left = ends - Workflow.currentTimeMillis(); left > 0; left = ends - Workflow.currentTimeMillis()) {
      Duration wait = interval.toMillis() < left ? interval : Duration.ofMillis(left);
      run.show("verification window: watching the new primary until " + endsAt + " (" + tally.samples
          + " sample(s), " + tally.failed + " failed); send 'rollback' to move writes back");
      if (run.await(wait, "verification window: next sample", () -> state.rollbackRequested)) {
        state.verification = tally.status("ended early: rollback requested", endsAt,
            state.verification.signals(), state.verification.failures(), state.verification.warnings());
        return;
      }
      VerificationSample sample = run.step("verification window: sample the new primary")
          .verificationSample(plan, baseline, previous);
      previous = sample.reading();
      List<String> failures = VerificationJudge.failures(p, baseline, sample);
      tally.count(failures.isEmpty());
      boolean failedWindow = tally.failed > p.failureLimit() || tally.consecutive >= p.consecutiveFailureLimit();
      String now = failedWindow ? (p.rollsBack() ? "failed: rolling back" : "failed: notified") : "watching";
      state.verification = tally.status(acted ? state.verification.state() : now, endsAt,
          VerificationJudge.signals(baseline, sample), failures, VerificationJudge.warnings(p, sample));
      run.render();
      if (failedWindow && !acted) {
        acted = true;
        act(p, failures);
        if (p.rollsBack()) return;
      }
    }
    if (!acted) {
      state.verification = tally.status("passed", endsAt, state.verification.signals(),
          state.verification.failures(), state.verification.warnings());
      run.notify("verification", "verification window passed: " + tally.samples + " sample(s), " + tally.failed
          + " failed");
    }
  }

  private void act(VerificationPolicy p, List<String> failures) {
    String why = "verification window failed: " + String.join("; ", failures);
    if (p.rollsBack()) {
      run.decide("rollback", "workflow", null, true, "automatic rollback: " + why);
      state.rollbackRequested = true;
      run.notify("verification", why + "; rolling back through the reverse stream");
    } else {
      run.notify("verification", why + "; the plan says notify (onFailure: notify), so writes stay on the new"
          + " primary; send 'rollback' to move them back");
    }
  }

  /** Samples so far, failed ones, and failed ones in a row. */
  private static final class Tally {
    final VerificationBaseline baseline;
    int samples;
    int failed;
    int consecutive;

    Tally(VerificationBaseline baseline) {
      this.baseline = baseline;
    }

    void count(boolean passed) {
      samples++;
      if (passed) {
        consecutive = 0;
      } else {
        failed++;
        consecutive++;
      }
    }

    VerificationStatus status(String what, String endsAt, List<String> signals, List<String> failures,
        List<String> warnings) {
      return new VerificationStatus(what, endsAt, samples, failed, consecutive, baseline, signals, failures, warnings);
    }
  }
}
