package dev.phaseshift.workflow;

import dev.phaseshift.model.Lag;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** Measures how far the target trails the source and waits for it to catch up. */
final class LagWatch {
  static final Duration LAG_POLL = Duration.ofSeconds(5);

  private final RunContext run;
  private final MigrationState state;

  LagWatch(RunContext run) {
    this.run = run;
    this.state = run.state;
  }

  Lag measure() {
    state.lag = run.steps().measureLag(state.plan);
    return state.lag;
  }

  /** Returns once the lag is at most {@code maxBytes} and the run is not paused. */
  void awaitBelow(long maxBytes, String what) {
    while (true) {
      run.checkStop();
      long bytes = measure().bytes();
      if (bytes <= maxBytes && !state.paused) return;
      run.show(state.paused ? "paused: send the 'resume' signal; lag " + bytes + " bytes"
          : what + " (lag " + bytes + " bytes, limit " + maxBytes + ")");
      Workflow.sleep(LAG_POLL);
    }
  }
}
