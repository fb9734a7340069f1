package dev.phaseshift.workflow;

import dev.phaseshift.model.Lag;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** Measures how far the target trails the source and waits for it to catch up. */
final class LagWatch {
  static final Duration LAG_POLL = Duration.ofSeconds(5);
  static final Duration LAG_POLL_MAX = Duration.ofMinutes(5);

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

  /**
   * Returns once the lag is at most {@code maxBytes} and the run is not paused. A pause waits for
   * 'resume' without measuring; a lag that stays high is measured less and less often (up to every
   * {@link #LAG_POLL_MAX}), so a stream that lags for days does not fill the history.
   */
  void awaitBelow(long maxBytes, String what) {
    Duration poll = LAG_POLL;
    while (true) {
      run.checkStop();
      if (state.paused) {
        run.show("paused: send the 'resume' signal" + (state.lag == null ? "" : "; lag " + state.lag.bytes() + " bytes"));
        Workflow.await(() -> !state.paused || state.stopping());
        continue;
      }
      long bytes = measure().bytes();
      if (bytes <= maxBytes && !state.paused) return;
      String waiting = what + " (lag " + bytes + " bytes, limit " + maxBytes + ")";
      run.show(waiting);
      run.sleep(poll, waiting);
      poll = poll.multipliedBy(2).compareTo(LAG_POLL_MAX) > 0 ? LAG_POLL_MAX : poll.multipliedBy(2);
    }
  }
}
