package dev.phaseshift.activities;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats a step that holds writes frozen or clients paused, every second from a thread of its
 * own, while the step's thread waits on the databases and PgBouncer. With the short heartbeat
 * timeout of those steps, Temporal learns within seconds that the worker holding the freeze died,
 * and gives the step to another worker; the freeze itself has ended with the dead worker already
 * (its locks go with its session, PgBouncer's pause with its guard). Validations and drift checks
 * beat the same way: they run for minutes without progress worth recording, and a dead worker's
 * comparison is then retried within seconds rather than after the step's hours-long limit (the
 * target's apply it paused is resumed by the retry).
 */
final class StepHeartbeat implements AutoCloseable {
  static final Duration EVERY = Duration.ofSeconds(1);
  private static final Logger log = LoggerFactory.getLogger(StepHeartbeat.class);

  private final ScheduledExecutorService timer;

  private StepHeartbeat(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Starts heartbeating the current activity; outside one (tests, bench commands) there is nobody to tell. */
  static StepHeartbeat start(String step) {
    ActivityExecutionContext context;
    try {
      context = Activity.getExecutionContext();
    } catch (IllegalStateException notInAnActivity) {
      return new StepHeartbeat(null);
    }
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heartbeat " + step);
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      try {
        context.heartbeat(null);
      } catch (RuntimeException e) {
        // A cancellation or a lost server: the step finishes or releases by itself within the
        // freeze's bound, and its result or failure tells the workflow what happened.
        log.debug("heartbeat of {} not delivered: {}", step, e.toString());
      }
    }, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return new StepHeartbeat(timer);
  }

  @Override
  public void close() {
    if (timer != null) timer.shutdownNow();
  }
}
