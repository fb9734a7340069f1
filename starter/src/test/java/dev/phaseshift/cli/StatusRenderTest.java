package dev.phaseshift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.CopyTotals;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.MigrationStatus;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Position;
import dev.phaseshift.workflow.FailureTypes;
import io.temporal.api.common.v1.ActivityType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.ApplicationFailureInfo;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.TimeoutFailureInfo;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.common.converter.DefaultDataConverter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code phaseshift status} prints, from Temporal's view of the steps and the workflow's status. */
class StatusRenderTest {
  static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

  static Timestamp at(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).build();
  }

  static PendingActivityInfo.Builder activity(String type, PendingActivityState state, int attempt) {
    return PendingActivityInfo.newBuilder().setActivityType(ActivityType.newBuilder().setName(type))
        .setState(state).setAttempt(attempt).setMaximumAttempts(10);
  }

  static Failure applicationFailure(String message, String type, boolean nonRetryable) {
    return Failure.newBuilder().setMessage(message).setApplicationFailureInfo(
        ApplicationFailureInfo.newBuilder().setType(type).setNonRetryable(nonRetryable)).build();
  }

  static StepView copying(PendingActivityInfo.Builder b, CopyProgress progress) {
    b.setHeartbeatDetails(DefaultDataConverter.STANDARD_INSTANCE.toPayloads(progress).orElseThrow());
    return StepView.of(b.build(), DefaultDataConverter.STANDARD_INSTANCE, NOW);
  }

  static MigrationStatus status(Phase phase, String waitingFor, Lag lag, String error) {
    return new MigrationStatus("shop", phase, waitingFor, 6, List.of(), lag, null, null, "source", List.of(), error,
        List.of(), false, null, new CopyTotals(2, 100, 10L << 20, 4, 0, 2, 2), "copy public.orders", 100L << 20);
  }

  @Test
  void aStepOnItsNinthAttemptShowsTheAttemptAndTheRealFailureNotProgress() {
    StepView step = StepView.of(activity("Assess", PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED, 9)
        .setLastFailure(applicationFailure("cannot connect to source db:6543/shop as migrator: Connection refused",
            FailureTypes.UNREACHABLE, false))
        .setNextAttemptScheduleTime(at(NOW.plusSeconds(40))).build(), DefaultDataConverter.STANDARD_INSTANCE, NOW);
    String out = StatusCommand.render(new LiveStatus(status(Phase.PREPARE, "assessing source and target", null, null),
        List.of(step), NOW.minusSeconds(300), NOW, null));
    assertTrue(out.contains("Assess: retrying, attempt 9 of 10, next in 40 s; last failure (Unreachable, retrying can help):"
        + " cannot connect to source db:6543/shop as migrator: Connection refused"), out);
  }

  @Test
  void aNonRetryableFailureSaysRetryingCannotHelp() {
    StepView step = StepView.of(activity("StartChangeCapture", PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED, 2)
        .setLastFailure(applicationFailure("permission denied to create replication slot", FailureTypes.PREREQUISITE, true))
        .build(), DefaultDataConverter.STANDARD_INSTANCE, NOW);
    assertFalse(step.retryable());
    assertTrue(step.describe().contains("(PrerequisiteNotMet, retrying cannot help): permission denied"), step.describe());
  }

  @Test
  void aCopyWhoseWorkerStoppedHeartbeatingShowsWorkerLostNotStaleProgress() {
    StepView silent = copying(activity("CopyTable", PendingActivityState.PENDING_ACTIVITY_STATE_STARTED, 1)
        .setLastHeartbeatTime(at(NOW.minusSeconds(12))), new CopyProgress("public.orders", 36, 100, 3600, 36L << 20));
    assertEquals("worker lost", silent.state());
    String out = StatusCommand.render(new LiveStatus(status(Phase.MIGRATE, "copying tables", null, null),
        List.of(silent), NOW.minusSeconds(300), NOW, null));
    assertTrue(out.contains("public.orders") && out.contains(" 36%") && out.contains("worker lost (progress as last reported)"), out);
    assertTrue(out.contains("CopyTable: worker lost, attempt 1 of 10, silent for 12 s; Temporal retries it on another worker"), out);

    Failure heartbeatTimeout = Failure.newBuilder().setMessage("activity Heartbeat timeout")
        .setTimeoutFailureInfo(TimeoutFailureInfo.newBuilder().setTimeoutType(TimeoutType.TIMEOUT_TYPE_HEARTBEAT)).build();
    StepView retried = copying(activity("CopyTable", PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED, 2)
        .setLastFailure(heartbeatTimeout), new CopyProgress("public.orders", 36, 100, 3600, 36L << 20));
    assertEquals("worker lost", retried.state());
    assertTrue(retried.describe().contains("last failure (Timeout, retrying can help): no heartbeat for 20 s: its worker"),
        retried.describe());

    StepView fresh = copying(activity("CopyTable", PendingActivityState.PENDING_ACTIVITY_STATE_STARTED, 1)
        .setLastHeartbeatTime(at(NOW.minusSeconds(5))), new CopyProgress("public.orders", 50, 100, 5000, 50L << 20));
    assertEquals("running", fresh.state());
    String running = StatusCommand.render(new LiveStatus(status(Phase.MIGRATE, "copying tables", null, null),
        List.of(fresh), NOW.minusSeconds(300), NOW, null));
    assertFalse(running.contains("worker lost") || running.contains("attempt"), running);
  }

  @Test
  void lagSaysWhenItWasMeasured() {
    Lag lag = new Lag(3_774_873, new Position(2, "0/2"), new Position(1, "0/1"), NOW.minusSeconds(252).toString());
    String out = StatusCommand.render(new LiveStatus(status(Phase.TEST, "validating", lag, null), List.of(),
        NOW.minusSeconds(900), NOW, null));
    assertTrue(out.contains("lag: 3.6 MiB, measured 4m 12s ago (2026-12-04T09:55:48Z)"), out);
  }

  @Test
  void watchingShowsElapsedTimeRateTimeLeftAndTheApproveCommand() {
    CopyRate rate = new CopyRate();
    rate.sample(10L << 20, NOW.minusSeconds(10));
    rate.sample(30L << 20, NOW);
    StepView copy = copying(activity("CopyTable", PendingActivityState.PENDING_ACTIVITY_STATE_STARTED, 1)
        .setLastHeartbeatTime(at(NOW.minusSeconds(2))), new CopyProgress("public.orders", 20, 90, 2000, 20L << 20));
    LiveStatus copying = new LiveStatus(status(Phase.MIGRATE, "copying tables", null, null), List.of(copy),
        NOW.minusSeconds(754), NOW, null);
    String lines = StatusCommand.watchLines(copying, rate);
    assertTrue(lines.contains("elapsed: 12m 34s"), lines);
    // 30 MiB copied of 100 MiB at 2 MiB/s: 35 s left.
    assertTrue(lines.contains("copy rate: 2.0 MiB/s, about 35s left"), lines);

    LiveStatus waiting = new LiveStatus(status(Phase.SWITCHOVER, "approval: 0 of 2 given; send the `approve` update",
        null, null), List.of(), NOW.minusSeconds(3600), NOW, null);
    assertTrue(StatusCommand.watchLines(waiting, new CopyRate())
        .contains("to sign off: phaseshift approve shop --as YOUR_NAME -m \"why\""));
  }

  @Test
  void rateRestartsWhenTheCopyStartsOver() {
    CopyRate rate = new CopyRate();
    rate.sample(50, NOW.minusSeconds(20));
    rate.sample(80, NOW.minusSeconds(10));
    assertTrue(rate.known());
    rate.sample(5, NOW);
    assertFalse(rate.known(), "a copy that started over from a new snapshot has no rate yet");
    assertEquals(Duration.ZERO, rate.left(5, 100));
  }

  @Test
  void everyCommandsSummaryInTheCommandListIsAWholeSentence() {
    var cli = PhaseshiftCli.commandLine();
    List<picocli.CommandLine> commands = new java.util.ArrayList<>(cli.getSubcommands().values());
    for (int i = 0; i < commands.size(); i++) commands.addAll(commands.get(i).getSubcommands().values());
    for (picocli.CommandLine c : commands) {
      String[] description = c.getCommandSpec().usageMessage().description();
      if (description.length == 0) continue;
      String first = description[0].strip();
      assertTrue(first.endsWith("."), c.getCommandSpec().qualifiedName() + ": the list of commands shows only the"
          + " first line of a description, so it must be a whole sentence: '" + first + "'");
    }
  }
}
