package dev.phaseshift.workflow;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.Decision;
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
    if (s.lag != null) md.append("| Lag | ").append(s.lag.bytes()).append(" bytes |\n");
    if (s.validation != null) {
      md.append("| Validation | ").append(s.validation.verdict())
          .append(" |\n");
    }
    if (s.plan != null && s.plan.approvalRequired()) {
      md.append("| Approvals | ").append(s.approvals.size()).append(" / ").append(s.approvalsRequired())
          .append(s.approvals.isEmpty() ? ""
              : " (" + s.approvals.stream().map(Approval::approver).collect(Collectors.joining(", ")) + ")")
          .append(" |\n");
    }
    if (s.rehearsal != null) {
      md.append("| Copy time | ").append(s.rehearsal.copyMillis()).append(" ms |\n");
      md.append("| Freeze forecast | ").append(s.rehearsal.freezeForecastMillis() < 0 ? "unknown"
          : s.rehearsal.freezeForecastMillis() + " ms").append(" |\n");
    }
    if (s.switchover != null) md.append("| Write freeze | ").append(s.switchover.writeFreezeMillis()).append(" ms |\n");
    if (s.rollback != null) md.append("| Rollback pause | ").append(s.rollback.writePauseMillis()).append(" ms |\n");
    md.append("| Primary | ").append(s.primary).append(" |\n");
    if (!s.decisions.isEmpty()) {
      Decision last = s.decisions.get(s.decisions.size() - 1);
      md.append("| Last decision | ").append(last.action()).append(" by ").append(last.by())
          .append(last.accepted() ? " (accepted)" : " (refused: " + last.reason() + ")").append(" |\n");
    }
    if (s.error != null) md.append("| Error | ").append(s.error.replace("\n", " ")).append(" |\n");
    return md.toString();
  }
}
