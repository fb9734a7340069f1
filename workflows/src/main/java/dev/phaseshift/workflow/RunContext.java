package dev.phaseshift.workflow;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Notification;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.PhaseTiming;
import dev.phaseshift.plan.MigrationPlan;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeUpdate;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.TimerOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The run's state together with the Temporal means every part of the workflow shares: the
 * activity stubs, the workflow clock, the details and search attributes the Web UI shows, the
 * audit trail and the notifications. Created by the workflow, on the workflow thread.
 */
final class RunContext {
  private static final Logger log = Workflow.getLogger(RunContext.class);

  /**
   * An abort waits for a running step to really end before the undo starts, so the undo never
   * races the step it undoes. No heartbeat timeout: schema builds of large databases run for
   * a long time without per-row progress; the copy, validation and the freezing steps heartbeat.
   */
  private static final ActivityOptions STEP_OPTIONS = ActivityOptions.newBuilder()
      .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
      .setStartToCloseTimeout(Duration.ofHours(6))
      .setRetryOptions(retries())
      .build();

  /**
   * Steps that hold writes frozen or clients paused (switchover, rollback) heartbeat every second,
   * so Temporal hands them to another worker seconds after the worker holding the freeze died; the
   * freeze itself ends with that worker. Their retry is idempotent: it finds the recorded hand-over
   * or freezes again.
   */
  static final Duration FREEZE_HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);
  private static final ActivityOptions FREEZE_OPTIONS = ActivityOptions.newBuilder(STEP_OPTIONS)
      .setStartToCloseTimeout(Duration.ofHours(1))
      .setHeartbeatTimeout(FREEZE_HEARTBEAT_TIMEOUT)
      .build();

  /** Steps that heartbeat, so a killed worker's step is retried on another within seconds. */
  private static final ActivityOptions VALIDATION_OPTIONS = ActivityOptions.newBuilder(STEP_OPTIONS)
      .setHeartbeatTimeout(MigrationActivities.VALIDATION_HEARTBEAT_TIMEOUT)
      .build();

  final MigrationState state = new MigrationState();
  private final MigrationActivities steps = Workflow.newActivityStub(MigrationActivities.class, STEP_OPTIONS);
  private final MigrationActivities revalidations =
      Workflow.newActivityStub(MigrationActivities.class, VALIDATION_OPTIONS);

  /** Notifications are worth a few tries, never worth failing a migration for. */
  private final MigrationActivities notifier = Workflow.newActivityStub(MigrationActivities.class,
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build());

  /**
   * Lag refreshes while the run waits for people: a local activity leaves one marker in history
   * where an activity leaves three events and a workflow task, which over days of waiting adds up.
   */
  private final MigrationActivities quiet = Workflow.newLocalActivityStub(MigrationActivities.class,
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build());

  private long phaseStartMillis;

  static RetryOptions retries() {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2)
        .setMaximumInterval(Duration.ofMinutes(1))
        .setMaximumAttempts(10)
        .setDoNotRetry(FailureTypes.NON_RETRYABLE)
        .build();
  }

  MigrationPlan plan() {
    return state.plan;
  }

  /** Starts the run: the plan, the clock of the first phase and the search attributes. */
  void begin(MigrationPlan plan) {
    state.plan = plan;
    phaseStartMillis = Workflow.currentTimeMillis();
    List<SearchAttributeUpdate<?>> updates = new ArrayList<>();
    updates.add(MigrationSearchAttributes.PHASE.valueSet(state.phase.name()));
    updates.add(MigrationSearchAttributes.SOURCE_HOST.valueSet(MigrationSearchAttributes.host(plan.source())));
    updates.add(MigrationSearchAttributes.TARGET_HOST.valueSet(MigrationSearchAttributes.host(plan.target())));
    if (plan.requestedBy() != null && !plan.requestedBy().isBlank()) {
      updates.add(MigrationSearchAttributes.REQUESTER.valueSet(plan.requestedBy()));
    }
    Workflow.upsertTypedSearchAttributes(updates.toArray(new SearchAttributeUpdate<?>[0]));
  }

  /** Steps without a summary: polls and compensations, which repeat or run after the fact. */
  MigrationActivities steps() {
    return steps;
  }

  /** The steps stub with a summary the Web UI shows on the activity. */
  MigrationActivities step(String summary) {
    state.step = summary;
    return Workflow.newActivityStub(MigrationActivities.class,
        ActivityOptions.newBuilder(STEP_OPTIONS).setSummary(summary).build());
  }

  /**
   * Long steps that heartbeat from a thread of their own (validation, the optional freeze in the
   * optimization advice), with a summary the Web UI shows: a dead worker's step is retried on
   * another within seconds, not after the step's hours-long limit.
   */
  MigrationActivities heartbeating(String summary) {
    state.step = summary;
    return Workflow.newActivityStub(MigrationActivities.class,
        ActivityOptions.newBuilder(VALIDATION_OPTIONS).setSummary(summary).build());
  }

  /** Validations that repeat (before every freeze attempt): no summary, heartbeating like the first. */
  MigrationActivities revalidations() {
    return revalidations;
  }

  /** Steps that run as local activities: short reads whose repetition must not grow the history. */
  MigrationActivities quietSteps() {
    return quiet;
  }

  /**
   * {@code Workflow.await} with a timer the Web UI shows by {@code summary} rather than by a
   * generated id. True when {@code unblock} held before the time ran out; the timer is then
   * cancelled. A stop of the surrounding scope ends the wait with its cancellation, as
   * {@code Workflow.await} does.
   */
  boolean await(Duration timeout, String summary, Supplier<Boolean> unblock) {
    List<Promise<Void>> timer = new ArrayList<>(1);
    CancellationScope scope = Workflow.newCancellationScope(
        () -> timer.add(Workflow.newTimer(timeout, TimerOptions.newBuilder().setSummary(summary).build())));
    scope.run();
    Workflow.await(() -> timer.get(0).isCompleted() || unblock.get());
    if (unblock.get()) {
      if (!timer.get(0).isCompleted()) scope.cancel();
      return true;
    }
    timer.get(0).get();
    return false;
  }

  /** {@code Workflow.sleep} with a timer the Web UI shows by {@code summary}. */
  void sleep(Duration duration, String summary) {
    Workflow.newTimer(duration, TimerOptions.newBuilder().setSummary(summary).build()).get();
  }

  /** The stub for a step that freezes writes, with a summary the Web UI shows on the activity. */
  MigrationActivities freezing(String summary) {
    return Workflow.newActivityStub(MigrationActivities.class,
        ActivityOptions.newBuilder(FREEZE_OPTIONS).setSummary(summary).build());
  }

  void enter(Phase next, String doing) {
    long now = Workflow.currentTimeMillis();
    boolean changed = state.phase != next;
    if (changed) {
      state.timings.add(new PhaseTiming(state.phase, Instant.ofEpochMilli(phaseStartMillis).toString(),
          now - phaseStartMillis));
      phaseStartMillis = now;
    }
    state.phase = next;
    if (changed) publishPhase();
    show(doing);
  }

  /** Ends the run in FAILED or ABORTED: no timing for it, as for COMPLETED. */
  void end(Phase last) {
    state.phase = last;
    publishPhase();
    show("");
  }

  private void publishPhase() {
    Workflow.upsertTypedSearchAttributes(MigrationSearchAttributes.PHASE.valueSet(state.phase.name()));
  }

  /** Marks the start of the decommission, so the operator rules refuse a rollback from here on. */
  void decommissioning() {
    state.decommissionStarted = true;
    show("decommissioning the change streams");
  }

  void show(String waitingFor) {
    state.waitingFor = waitingFor;
    render();
  }

  void render() {
    Workflow.setCurrentDetails(StatusDetails.markdown(state));
  }

  void checkStop() {
    if (state.stopping()) throw new CanceledFailure(state.stopReason);
  }

  String now() {
    return Instant.ofEpochMilli(Workflow.currentTimeMillis()).toString();
  }

  /** Adds a decision to the audit trail. */
  Decision decide(String action, String by, String comment, boolean accepted, String reason) {
    Decision d = new Decision(action, by, now(), comment, accepted, reason);
    state.decisions.add(d);
    log.info("{} by {}: {}{}", action, by, accepted ? "accepted" : "refused", reason == null ? "" : " (" + reason + ")");
    if (state.plan != null) render();
    return d;
  }

  void notify(String event, String message) {
    Notification n = new Notification(event, state.plan.name(), state.phase.name(), message, now());
    // Detached: a notification after an abort must still go out.
    Workflow.newDetachedCancellationScope(() -> {
      try {
        notifier.sendNotification(state.plan, n);
      } catch (ActivityFailure failure) {
        log.warn("notification '{}' not delivered: {}", event, Failures.describe(failure));
      }
    }).run();
  }
}
