package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Position;
import dev.phaseshift.plan.ApprovalPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Web UI's current details, rendered from plain state as the workflow renders them. */
class StatusDetailsTest {
  static final ApprovalPolicy BOB_AND_CAROL = new ApprovalPolicy(List.of("bob", "carol"), 2, false, "24h", "abort");

  private final MigrationState state = new MigrationState();

  private String awaitingApproval() {
    state.plan = TestPlans.routed("shop", BOB_AND_CAROL, null).withDefaults();
    state.phase = Phase.SWITCHOVER;
    state.approvals.add(new Approval("bob", "ok", "2026-12-04T10:00:00Z"));
    state.waitingFor = "approval: 1 of 2 given; send the `approve` update or signal with"
        + " `{\"approver\": \"...\", \"comment\": \"...\"}`";
    return StatusDetails.markdown(state);
  }

  @Test
  void theApprovalWaitNamesWhoMayApproveAndTheExactPayloadInCodeSpans() {
    String md = awaitingApproval();
    assertTrue(md.contains("| Approvals | 1 of 2 (bob) |"), md);
    assertTrue(md.contains("| May approve | bob, carol (not the requester, alice) |"), md);
    assertTrue(md.contains("`{\"approver\": \"bob\", \"comment\": \"why\"}`"), md);
    assertTrue(md.contains("`phaseshift approve shop --as bob -m \"why\"`"), md);
    // Every JSON example sits inside a code span, so Markdown cannot turn its quotes into curly ones.
    for (String line : md.split("\n")) {
      String outsideCode = line.replaceAll("`[^`]*`", "");
      assertFalse(outsideCode.contains("{\""), "a payload outside a code span: " + line);
    }
  }

  @Test
  void lagSaysWhenItWasMeasuredAndTheRunningStepIsNamed() {
    state.plan = TestPlans.plan("shop", false).withDefaults();
    state.phase = Phase.TEST;
    state.step = "validate source against target";
    state.lag = new Lag(3_774_873, new Position(1, "0/1"), new Position(0, "0/0"), "2026-12-04T10:00:00Z");
    String md = StatusDetails.markdown(state);
    assertTrue(md.contains("| Lag | 3774873 bytes, measured 2026-12-04T10:00:00Z |"), md);
    assertTrue(md.contains("| Step | validate source against target (attempts and last failure: Pending Activities"), md);

    state.phase = Phase.COMPLETED;
    assertFalse(StatusDetails.markdown(state).contains("| Step |"), "an ended run runs no step");
  }

  @Test
  void theVerificationWindowShowsItsEndAndEachSignalOfTheLastSample() {
    state.plan = TestPlans.plan("shop", false).withDefaults();
    state.phase = Phase.VERIFY;
    state.verification = new dev.phaseshift.model.VerificationStatus("watching", "2026-12-04T10:15:00Z", 3, 1, 1, null,
        List.of("latency: 9.000 ms (source 0.020 ms, 300 calls): SELECT a FROM t WHERE b = $1 OR c | d"),
        List.of("latency: SELECT a FROM t takes 9.000 ms"), List.of());
    String md = StatusDetails.markdown(state);
    assertTrue(md.contains("| Verification window | watching, until 2026-12-04T10:15:00Z, 3 sample(s), 1 failed |"), md);
    assertTrue(md.contains("| Signal | latency: 9.000 ms (source 0.020 ms, 300 calls): SELECT a FROM t WHERE b = $1 OR c \\| d |"),
        md);
    assertTrue(md.contains("| Failed | latency: SELECT a FROM t takes 9.000 ms |"), md);
  }
}
