package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.Phase;
import dev.phaseshift.model.VerificationStatus;
import dev.phaseshift.plan.ApprovalPolicy;
import java.util.stream.Collectors;

/** The Markdown table the Web UI shows as the workflow's current details. */
final class StatusDetails {
  private StatusDetails() {}

  static String markdown(MigrationState s) {
    StringBuilder md = new StringBuilder();
    md.append("| | |\n|---|---|\n");
    md.append("| Phase | ").append(s.phase).append(s.paused ? " (paused)" : "").append(" |\n");
    if (s.plan != null && s.plan.rehearsal()) md.append("| Mode | rehearsal: scratch target, torn down at the end |\n");
    if (!s.waitingFor.isEmpty()) md.append("| Waiting for | ").append(s.waitingFor).append(" |\n");
    if (s.tablesTotal > 0) {
      md.append("| Tables copied | ").append(s.copies.tables()).append(" / ").append(s.tablesTotal).append(" |\n");
    }
    if (s.seeded != null) md.append("| Seeding | ").append(s.seeded.method()).append(", ").append(s.seeded.millis())
        .append(" ms on ").append(s.seeded.taskQueue()).append(" |\n");
    if (s.step != null && !s.stopped()) {
      md.append("| Step | ").append(s.step).append(" (attempts and last failure: Pending Activities below) |\n");
    }
    if (s.lag != null) {
      md.append("| Lag | ").append(s.lag.bytes()).append(" bytes")
          .append(s.lag.measuredAt() == null ? "" : ", measured " + s.lag.measuredAt()).append(" |\n");
    }
    if (s.validation != null) {
      md.append("| Validation | ").append(s.validation.verdict())
          .append(" |\n");
    }
    if (s.clientAccess != null) md.append("| Client access | ").append(s.clientAccess.summary()).append(" |\n");
    if (s.plan != null && s.plan.approvalRequired()) approvals(md, s);
    if (s.rehearsal != null) {
      md.append(s.seeded == null ? "| Copy time | " : "| Seeding time | ").append(s.rehearsal.copyMillis()).append(" ms |\n");
      md.append("| Freeze forecast | ").append(s.rehearsal.forecastText()).append(" |\n");
    }
    if (s.switchover != null) md.append("| Write freeze | ").append(s.switchover.writeFreezeMillis()).append(" ms |\n");
    if (s.verification != null) verification(md, s.verification);
    if (s.rollback != null) md.append("| Rollback pause | ").append(s.rollback.writePauseMillis()).append(" ms |\n");
    md.append("| Primary | ").append(s.primary).append(" |\n");
    if (!s.decisions.isEmpty()) {
      Decision last = s.decisions.get(s.decisions.size() - 1);
      md.append("| Last decision | ").append(last.action()).append(" by ").append(last.by())
          .append(last.accepted() ? " (accepted)" : " (refused: " + last.reason() + ")").append(" |\n");
    }
    if (s.error != null) md.append("| Error | ").append(s.error.replace("\n", " ")).append(" |\n");
    md.append(Briefings.details(s));
    return md.toString();
  }

  /** The window, its end, and each signal of the last sample, one row each. */
  private static void verification(StringBuilder md, VerificationStatus v) {
    md.append("| Verification window | ").append(v.state()).append(", until ").append(v.endsAt()).append(", ")
        .append(v.samples()).append(" sample(s), ").append(v.failedSamples()).append(" failed |\n");
    for (String signal : v.signals()) md.append("| Signal | ").append(cell(signal)).append(" |\n");
    for (String failure : v.failures()) md.append("| Failed | ").append(cell(failure)).append(" |\n");
    for (String warning : v.warnings()) md.append("| Warning | ").append(cell(warning)).append(" |\n");
  }

  /** Statement texts may hold '|' or line breaks, which would break the table. */
  private static String cell(String text) {
    return text.replace("\n", " ").replace("|", "\\|");
  }

  /**
   * Who has signed off, who may, and the exact payload and command, in code spans the UI keeps
   * verbatim; the deadline is in the waiting text.
   */
  private static void approvals(StringBuilder md, MigrationState s) {
    md.append("| Approvals | ").append(s.approvals.size()).append(" of ").append(s.approvalsRequired())
        .append(s.approvals.isEmpty() ? ""
            : " (" + s.approvals.stream().map(Approval::approver).collect(Collectors.joining(", ")) + ")")
        .append(" |\n");
    ApprovalPolicy policy = s.plan.approval();
    boolean anyone = policy == null || policy.approvers() == null || policy.approvers().isEmpty();
    md.append("| May approve | ").append(anyone ? "anyone" : String.join(", ", policy.approvers()))
        .append(policy != null && Boolean.FALSE.equals(policy.requesterMayApprove()) && s.plan.requestedBy() != null
            ? " (not the requester, " + s.plan.requestedBy() + ")" : "")
        .append(" |\n");
    if (s.approvals.size() < s.approvalsRequired() && s.phase == Phase.SWITCHOVER) {
      String example = anyone ? "bob" : policy.approvers().get(0);
      md.append("| How to approve | update or signal `approve` with `{\"approver\": \"").append(example)
          .append("\", \"comment\": \"why\"}`, or `phaseshift approve ").append(s.plan.name()).append(" --as ")
          .append(example).append(" -m \"why\"` |\n");
    }
  }
}
