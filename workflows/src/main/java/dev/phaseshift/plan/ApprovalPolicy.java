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
 */
public record ApprovalPolicy(
    List<String> approvers, Integer required, Boolean requesterMayApprove, String deadline, String onDeadline) {}
