package dev.phaseshift.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.Position;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator rules on plain state: every refusal with its reason, and what is accepted. */
class OperatorRulesTest {
  /** bob, carol and alice are approvers, two are needed; alice requested the migration. */
  static final ApprovalPolicy TWO_APPROVERS = new ApprovalPolicy(List.of("bob", "carol", "alice"), 2, false, null, null);

  private final MigrationState state = new MigrationState();
  private final OperatorRules rules = new OperatorRules(state);

  private static MigrationPlan planWithApproval() {
    return TestPlans.routed("rules", TWO_APPROVERS, null).withDefaults();
  }

  private static void refused(String reason, String expected) {
    assertTrue(reason != null && reason.contains(expected), "expected a refusal with '" + expected + "', got " + reason);
  }

  private void switchedOver() {
    state.switchover = new SwitchoverResult(420, new Position(1, "0/1"), 1, 0);
  }

  @Test
  void nothingIsAcceptedBeforeTheMigrationStarted() {
    refused(rules.approval(new Approval("bob", null, null)), "not started");
    refused(rules.rejection(new Approval("bob", null, null)), "not started");
    refused(rules.abort(), "not started");
    refused(rules.rollback(), "not started");
  }

  @Test
  void anApprovalNeedsANamedApproverThePlanAllows() {
    state.plan = planWithApproval();
    refused(rules.approval(null), "name the approver");
    refused(rules.approval(new Approval(" ", null, null)), "name the approver");
    refused(rules.approval(new Approval("mallory", null, null)), "not an approver of this migration; the plan names bob");
    assertNull(rules.approval(new Approval("bob", "checked", null)));
  }

  @Test
  void theRequesterMayNotApproveTheirOwnMigration() {
    state.plan = planWithApproval();
    refused(rules.approval(new Approval("alice", null, null)), "four-eyes");
  }

  @Test
  void anApproverCountsOnce() {
    state.plan = planWithApproval();
    state.approvals.add(new Approval("bob", null, "2026-01-01T00:00:00Z"));
    refused(rules.approval(new Approval("bob", "again", null)), "already approved; 2 distinct approvers");
    assertNull(rules.approval(new Approval("carol", null, null)));
  }

  @Test
  void aPlanWithoutApprovalTakesNone() {
    state.plan = TestPlans.routed("rules", null, null).withDefaults();
    refused(rules.approval(new Approval("bob", null, null)), "needs no approval");
  }

  @Test
  void noApprovalOnceTheFreezeStartedOrTheRunStops() {
    state.plan = planWithApproval();
    state.freezeStarted = true;
    refused(rules.approval(new Approval("bob", null, null)), "switchover has already started");
    state.freezeStarted = false;
    state.stopReason = "aborted by dave";
    refused(rules.approval(new Approval("bob", null, null)), "stopping: aborted by dave");
    state.stopReason = null;
    state.phase = Phase.FAILED;
    refused(rules.approval(new Approval("bob", null, null)), "stopping");
  }

  @Test
  void aRejectionNeedsANamedApproverBeforeTheFreeze() {
    state.plan = planWithApproval();
    refused(rules.rejection(null), "name who rejects");
    refused(rules.rejection(new Approval("mallory", null, null)), "not an approver");
    assertNull(rules.rejection(new Approval("carol", "not this week", null)));
    state.freezeStarted = true;
    refused(rules.rejection(new Approval("carol", null, null)), "send 'rollback'");
  }

  @Test
  void anAbortIsAcceptedOnceAndOnlyBeforeTheSwitchover() {
    state.plan = planWithApproval();
    assertNull(rules.abort());
    state.stopReason = "aborted by dave";
    refused(rules.abort(), "already stopping: aborted by dave");
    state.stopReason = null;
    switchedOver();
    refused(rules.abort(), "switchover has already started; after it, send 'rollback'");
    refused(rules.abort(), "ends by itself within cutover.maxFreeze (30s)");
  }

  @Test
  void pauseAndResumeAlternateUntilTheSwitchover() {
    state.plan = planWithApproval();
    refused(rules.resume(), "not paused");
    assertNull(rules.pause());
    state.paused = true;
    refused(rules.pause(), "already paused");
    assertNull(rules.resume());
    state.paused = false;
    state.freezeStarted = true;
    refused(rules.pause(), "switchover has started");
  }

  @Test
  void aRollbackIsPossibleAfterTheSwitchoverUntilTheRetentionEnds() {
    state.plan = planWithApproval();
    state.phase = Phase.SWITCHOVER;
    refused(rules.rollback(), "send 'abort' instead");
    switchedOver();
    assertNull(rules.rollback());
    state.phase = Phase.VERIFY;
    assertNull(rules.rollback());
    state.phase = Phase.RECOVERY;
    assertNull(rules.rollback());
    state.rollbackRequested = true;
    refused(rules.rollback(), "already under way");
    state.rollbackRequested = false;
    state.decommissionStarted = true;
    refused(rules.rollback(), "the old database is being decommissioned");
    assertEquals(1, rules.rollback().lines().count(), rules.rollback());
    state.decommissionStarted = false;
    state.phase = Phase.OPTIMIZE;
    refused(rules.rollback(), "the migration is in OPTIMIZE");
  }

  @Test
  void aRollbackNeedsReverseReplication() {
    MigrationPlan p = planWithApproval();
    state.plan = new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        null, false, null, p.webhookUrl());
    state.phase = Phase.RECOVERY;
    switchedOver();
    refused(rules.rollback(), "reverse replication off");
  }

  @Test
  void aRollbackUpdateMustNameWhoAsks() {
    state.plan = planWithApproval();
    state.phase = Phase.RECOVERY;
    switchedOver();
    refused(rules.rollbackUpdate(null), "name who asks");
    refused(rules.rollbackUpdate(new OperatorRequest("", "why")), "name who asks");
    assertNull(rules.rollbackUpdate(new OperatorRequest("frank", "checkout errors")));
  }

  @Test
  void theRetentionCanBeExtendedByADurationUntilItIsOver() {
    state.plan = planWithApproval();
    state.phase = Phase.RECOVERY;
    refused(rules.retentionExtension(null), "extendBy must be a duration");
    refused(rules.retentionExtension(new RetentionExtension("hank", "a day", null)), "extendBy must be a duration");
    assertNull(rules.retentionExtension(new RetentionExtension("hank", "24h", "audit")));
    state.phase = Phase.OPTIMIZE;
    refused(rules.retentionExtension(new RetentionExtension("hank", "24h", null)), "retention window is over");
  }

  @Test
  void unnamedSendersAreRecordedAsUnknown() {
    assertTrue(OperatorRules.approver(null).equals("unknown"));
    assertTrue(OperatorRules.requester(new OperatorRequest(null, null)).equals("unknown"));
    assertTrue(OperatorRules.suffix(" ").isEmpty());
    assertTrue(OperatorRules.suffix("why").equals(": why"));
  }
}
