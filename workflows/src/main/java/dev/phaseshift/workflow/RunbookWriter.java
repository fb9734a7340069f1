package dev.phaseshift.workflow;

import dev.phaseshift.model.Runbook;
import dev.phaseshift.model.RunbookStep;
import dev.phaseshift.plan.ApprovalPolicy;
import dev.phaseshift.plan.MaintenanceWindow;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes the switchover's runbook from the plan and the run (published at the sign-off wait), and
 * fills in what actually happened at each step for the final report. The step names are the
 * runbook's contract: {@link #actuals} matches on them.
 */
final class RunbookWriter {
  static final String SIGN_OFF = "Sign-off";
  static final String WINDOW = "Maintenance window";
  static final String CHECKS = "Checks before the freeze";
  static final String FREEZE = "Write freeze and hand-over";
  static final String ROUTER = "Router";
  static final String VERIFY = "Verify";
  static final String RETENTION = "Retention";

  private RunbookWriter() {}

  static Runbook write(MigrationState s, String now) {
    MigrationPlan p = s.plan;
    List<RunbookStep> steps = new ArrayList<>();
    steps.add(new RunbookStep(SIGN_OFF, signOff(p), null));
    steps.add(new RunbookStep(WINDOW, p.maintenanceWindows().isEmpty() ? "any time (the plan names no window)"
        : "within " + p.maintenanceWindows().stream().map(MaintenanceWindow::describe).collect(Collectors.joining("; "))
            + ", with at least " + p.cutover().maxFreeze() + " of it left when the freeze starts", null));
    steps.add(new RunbookStep(CHECKS, "lag below " + p.cutover().maxLagBytes() + " bytes"
        + (p.approvalRequired() ? "; a fresh validation (counts and checksums of every table)" : "")
        + "; no write transaction on the source older than " + p.cutover().maxTransactionAge()
        + "; every login role ready and every client seen on the source admitted by the target", null));
    steps.add(new RunbookStep(FREEZE, "writes frozen on the source for at most " + p.cutover().maxFreeze()
        + forecast(s) + "; the target receives every change, sequences are set ahead, writes move to the target;"
        + " a freeze that would run longer is released and tried again (up to "
        + MigrationWorkflowImpl.MAX_SWITCHOVER_ATTEMPTS + " times)", null));
    steps.add(new RunbookStep(ROUTER, router(p), null));
    steps.add(new RunbookStep(VERIFY, "the target takes a write, the old database took none after the switch,"
        + " sequences ahead" + (p.reverseReplication() ? "; reverse replication starts (a failed check rolls back)" : ""),
        null));
    steps.add(new RunbookStep(RETENTION, "the old database is kept " + (p.reverseReplication() ? "current " : "")
        + "for " + p.retention() + " after the switchover, then its change streams are dropped"
        + (p.finalDumpDirectory() == null ? "" : " and a final dump is written to " + p.finalDumpDirectory()), null));
    return new Runbook(now, steps, rollback(p), rollbackUntil(p));
  }

  private static String signOff(MigrationPlan p) {
    if (!p.approvalRequired()) return "none (approvalRequired: false): the switchover starts once the checks hold";
    ApprovalPolicy a = p.approval();
    return a.required() + " approval(s) from " + (a.approvers().isEmpty() ? "anyone" : String.join(", ", a.approvers()))
        + (a.requesterMayApprove() || p.requestedBy() == null ? "" : ", not the requester " + p.requestedBy())
        + (a.deadline() == null ? "" : "; deadline " + a.deadline() + ", then " + a.onDeadline())
        + (a.rehearsalRequired() ? "; sign-off needs a rehearsal of this plan no older than " + a.rehearsal().maxAge()
            + " that passed validation and forecast a freeze within " + p.cutover().maxFreeze() : "");
  }

  private static String forecast(MigrationState s) {
    if (s.rehearsalGate != null && s.rehearsalGate.latest() != null && s.rehearsalGate.latest().result() != null) {
      return " (the latest rehearsal forecast " + s.rehearsalGate.latest().result().forecastText() + ")";
    }
    if (s.workload != null && s.workload.forecast() != null && s.workload.forecast().freezeMillis() >= 0) {
      return " (the assessment forecast " + s.workload.forecast().freezeMillis() + " ms)";
    }
    return "";
  }

  private static String router(MigrationPlan p) {
    return RouterConfig.PGBOUNCER.equals(p.router().typeOrDefault())
        ? "the pooler's database " + p.router().database() + " (router " + p.router().typeOrDefault() + ") is paused"
            + " before the freeze, pointed at the target and resumed after the hand-over; clients keep their"
            + " connection string"
        : "manual: once writes moved, point the application at the target and send `connectionSwitched`"
            + " (`phaseshift connection-switched " + p.name() + "`)";
  }

  private static List<String> rollback(MigrationPlan p) {
    List<String> steps = new ArrayList<>();
    steps.add("before the freeze: `phaseshift abort " + p.name() + "` (or reject the sign-off) undoes everything;"
        + " the source stays as it was");
    if (!p.reverseReplication()) {
      steps.add("after the switchover: no lossless way back (reverseReplication: false); restore from backup");
      return steps;
    }
    steps.add("after the switchover: `phaseshift rollback " + p.name() + " --as NAME -m \"why\"`; a failed verify"
        + " rolls back by itself");
    steps.add("writes freeze on the target until the old database has every change, sequences are set ahead there,"
        + " writes move back");
    steps.add(RouterConfig.PGBOUNCER.equals(p.router().typeOrDefault())
        ? "the pooler is pointed back at the old database" : "point the application back at the old database and"
            + " send `connectionSwitched`");
    return steps;
  }

  private static String rollbackUntil(MigrationPlan p) {
    return p.reverseReplication()
        ? "until the retention window ends, " + p.retention() + " after the switchover (longer with `extendRetention`)"
        : "not after the switchover (reverse replication is off)";
  }

  /** The runbook with what the run did at each step so far, for the report. */
  static Runbook actuals(Runbook planned, MigrationState s) {
    List<RunbookStep> steps = new ArrayList<>();
    for (RunbookStep step : planned.steps()) steps.add(step.withActual(actual(step.step(), s)));
    return new Runbook(planned.publishedAt(), steps, planned.rollback(), planned.rollbackUntil());
  }

  private static String actual(String step, MigrationState s) {
    return switch (step) {
      case SIGN_OFF -> signedOff(s);
      case WINDOW, CHECKS -> s.gateOpenedAt == null ? null : "held at " + s.gateOpenedAt + ", when the freeze began";
      case FREEZE -> s.switchover == null ? null : s.switchover.writeFreezeMillis() + " ms freeze (bound "
          + s.plan.cutover().maxFreeze() + "), " + s.switchover.sequencesCopied() + " sequence(s) set ahead";
      case ROUTER -> s.switchover == null ? null : s.switchover.routerPauseMillis() != null
          ? "clients held " + s.switchover.routerPauseMillis() + " ms at the router"
          : connectionSwitched(s);
      case VERIFY -> s.verify == null ? null : (s.verify.passed() ? "passed" : "FAILED") + ": target writable "
          + s.verify.targetWritable() + ", writes to the old database after the switch "
          + s.verify.sourceWritesAfterSwitch();
      case RETENTION -> s.rollback != null ? "rolled back: writes moved back after a " + s.rollback.writePauseMillis()
          + " ms pause" : s.decommissionStarted ? "retention ended; old database released" : null;
      default -> null;
    };
  }

  private static String signedOff(MigrationState s) {
    if (!s.plan.approvalRequired()) return s.switchover == null ? null : "not required";
    List<String> given = s.approvals.stream().map(a -> a.approver() + " at " + a.at()).toList();
    long refused = s.decisions.stream().filter(d -> "approve".equals(d.action()) && !d.accepted()).count();
    if (given.isEmpty() && refused == 0) return null;
    return (given.isEmpty() ? "no approval" : "approved by " + String.join(", ", given))
        + (refused == 0 ? "" : "; " + refused + " approval(s) refused");
  }

  private static String connectionSwitched(MigrationState s) {
    return s.decisions.stream().filter(d -> "connection-switched".equals(d.action())).reduce((a, b) -> b)
        .map(d -> "application switched by " + d.by() + " at " + d.at()).orElse("awaiting `connectionSwitched`");
  }
}
