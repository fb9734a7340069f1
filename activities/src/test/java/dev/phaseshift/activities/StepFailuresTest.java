package dev.phaseshift.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import io.temporal.api.failure.v1.Failure;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.DefaultFailureConverter;
import java.net.ConnectException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class StepFailuresTest {
  /** Temporal replaces a retried step's last failure over this size with "Failure exceeds size limit". */
  static final int MUTABLE_STATE_FAILURE_LIMIT = 4 * 1024;

  static RuntimeException refused() {
    SQLException driver = new SQLException("Connection to 127.0.0.1:1 refused. Check that the hostname and port are"
        + " correct and that the postmaster is accepting TCP/IP connections.", "08001",
        new ConnectException("Connection refused"));
    return new MigrationException(FailureTypes.UNREACHABLE, "cannot connect to source 127.0.0.1:1/shop as migrator: "
        + driver.getMessage() + " (check source.url, source.user and source.password)", deep(driver, 40));
  }

  /** A cause chain as deep as drivers and pools nest them, each with its own stack. */
  static Throwable deep(Throwable root, int depth) {
    Throwable t = root;
    for (int i = 0; i < depth; i++) t = new IllegalStateException("layer " + i, t);
    return t;
  }

  static int serializedSize(ApplicationFailure failure) {
    Failure proto = new DefaultFailureConverter().exceptionToFailure(failure, DefaultDataConverter.STANDARD_INSTANCE);
    return proto.getSerializedSize();
  }

  @Test
  void aRetriedFailureKeepsItsRealMessageAndFitsTemporalsLimit() {
    ApplicationFailure failure = StepFailures.of(refused(), false, 5);
    assertEquals(FailureTypes.UNREACHABLE, failure.getType());
    assertFalse(failure.isNonRetryable(), "later in a run an unreachable server may be restarting: keep trying");
    assertTrue(failure.getOriginalMessage().startsWith("cannot connect to source 127.0.0.1:1/shop"), failure.getOriginalMessage());
    assertTrue(failure.getOriginalMessage().contains("Connection refused"), failure.getOriginalMessage());
    assertTrue(serializedSize(failure) < MUTABLE_STATE_FAILURE_LIMIT / 2, "size " + serializedSize(failure));
  }

  @Test
  void anUnreachableServerAtFirstContactFailsAfterAFewAttempts() {
    assertFalse(StepFailures.of(refused(), true, 1).isNonRetryable());
    assertFalse(StepFailures.of(refused(), true, StepFailures.UNREACHABLE_ATTEMPTS_AT_FIRST_CONTACT - 1).isNonRetryable());
    ApplicationFailure last = StepFailures.of(refused(), true, StepFailures.UNREACHABLE_ATTEMPTS_AT_FIRST_CONTACT);
    assertTrue(last.isNonRetryable());
    assertTrue(last.getOriginalMessage().contains("127.0.0.1:1") && last.getOriginalMessage().contains("attempts"),
        last.getOriginalMessage());
  }

  @Test
  void theTypeSaysWhetherRetryingCanHelp() {
    ApplicationFailure denied = StepFailures.of(new MigrationException(FailureTypes.PREREQUISITE,
        "permission denied for table orders", new SQLException("permission denied", "42501")), false, 1);
    assertTrue(denied.isNonRetryable());
    assertEquals(FailureTypes.PREREQUISITE, denied.getType());

    ApplicationFailure dropped = StepFailures.of(new IllegalStateException("copy of public.orders failed",
        new SQLException("An I/O error occurred while sending to the backend.", "08006")), false, 2);
    assertFalse(dropped.isNonRetryable());
    assertEquals(FailureTypes.TRANSIENT, dropped.getType());
    assertEquals("copy of public.orders failed: An I/O error occurred while sending to the backend.",
        dropped.getOriginalMessage());
  }

  @Test
  void aHugeMessageIsTrimmedKeepingItsStartAndItsEnd() {
    String huge = "validation of public.orders failed: " + "x".repeat(100_000) + " (raise copyParallelism)";
    ApplicationFailure failure = StepFailures.of(new IllegalStateException(huge), false, 1);
    String m = failure.getOriginalMessage();
    assertTrue(m.length() <= StepFailures.MAX_MESSAGE, "length " + m.length());
    assertTrue(m.startsWith("validation of public.orders failed: "), m);
    assertTrue(m.endsWith(" (raise copyParallelism)"), m);
    assertTrue(m.contains("characters cut"), m);
    assertTrue(serializedSize(failure) < MUTABLE_STATE_FAILURE_LIMIT / 2, "size " + serializedSize(failure));
  }
}
