package dev.phaseshift.plan;

import java.util.List;

/**
 * Who signs off the switchover.
 *
 * @param approvers           who may approve; empty means anyone
 * @param required            how many distinct approvers are needed (default 1)
 * @param requesterMayApprove whether the plan's {@code requestedBy} may approve it (default false:
 *                            four-eyes rule)
 * @param deadline            how long to wait for approval (e.g. {@code 24h}); none by default
 * @param onDeadline          {@code wait} (notify and keep waiting, the default) or {@code abort}
 * @param rehearsal           whether sign-off needs a recent rehearsal that passed and forecast a
 *                            freeze within the plan's bound (default: not required)
 */
public record ApprovalPolicy(
    List<String> approvers, Integer required, Boolean requesterMayApprove, String deadline, String onDeadline,
    RehearsalRequirement rehearsal) {

  public ApprovalPolicy(List<String> approvers, Integer required, Boolean requesterMayApprove, String deadline,
      String onDeadline) {
    this(approvers, required, requesterMayApprove, deadline, onDeadline, null);
  }

  /** True when sign-off waits for a good rehearsal, also for a policy that did not get its defaults. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean rehearsalRequired() {
    return rehearsal != null && Boolean.TRUE.equals(rehearsal.required());
  }
}
