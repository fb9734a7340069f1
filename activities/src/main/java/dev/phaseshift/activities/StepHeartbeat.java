package dev.phaseshift.activities;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
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
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

  private StepHeartbeat(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Starts heartbeating the current activity; outside one (tests, bench commands) there is nobody to tell. */
  static StepHeartbeat start(String step) {
    return start(step, () -> null);
  }

  /** The same, each beat carrying what {@code details} gives then (a long step's progress for operators). */
  static StepHeartbeat start(String step, Supplier<?> details) {
    ActivityExecutionContext context;
    try {
      context = Activity.getExecutionContext();
    } catch (IllegalStateException notInAnActivity) {
      return new StepHeartbeat(null);
    }
    StepHeartbeat beating = new StepHeartbeat(Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heartbeat " + step);
      t.setDaemon(true);
      return t;
    }));
    beating.timer.scheduleAtFixedRate(() -> {
      try {
        context.heartbeat(details.get());
      } catch (RuntimeException e) {
        // A cancellation or a lost server: the step finishes or releases by itself within the
        // freeze's bound, and its result or failure tells the workflow what happened. A step that
        // runs tools of its own asks for this failure (failure()) and ends them.
        beating.failure.compareAndSet(null, e);
        log.debug("heartbeat of {} not delivered: {}", step, e.toString());
      }
    }, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return beating;
  }

  /** The first heartbeat that could not be delivered (the step was cancelled or its run is gone), or null. */
  RuntimeException failure() {
    return failure.get();
  }

  @Override
  public void close() {
    if (timer != null) timer.shutdownNow();
  }
}
