package dev.phaseshift.cli;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.workflow.FleetWorkflow;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code phaseshift fleet report NAME}: the fleet's outcome per wave and per database, Markdown or JSON. */
@Command(name = "report", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the fleet completed without failed databases", "1:it was aborted, has failed databases or has not ended",
        "2:bad input", "3:cannot reach Temporal or no such fleet"},
    description = {"Prints a fleet's report as Markdown (or JSON with -o json).",
        "Outcome, each wave's counts and times, every database's outcome, phase, write freeze and times,",
        "and the fleet's decisions. A finished fleet's report is its result",
        "(no worker needed); a running fleet's is its current status. Each database's own report: phaseshift report NAME."})
final class FleetReportCommand implements Callable<Integer> {
  @Mixin FleetName named;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = named.workflowId();
    FleetStatus s;
    try {
      WorkflowClient client = temporal.client();
      WorkflowStub stub = client.newUntypedWorkflowStub(id);
      boolean running = stub.describe().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
      s = running ? client.newWorkflowStub(FleetWorkflow.class, id).status() : stub.getResult(FleetStatus.class);
    } finally {
      temporal.close();
    }
    spec.commandLine().getOut().print(output.json() ? Output.toJson(s) + "\n" : markdown(s));
    spec.commandLine().getOut().flush();
    return FleetStatusCommand.succeeded(s) ? ExitCodes.OK : ExitCodes.FAILED;
  }

  static String markdown(FleetStatus s) {
    StringBuilder md = new StringBuilder();
    md.append("# Fleet ").append(s.name()).append("\n\n");
    md.append("**").append(s.state()).append("**: ").append(s.count(FleetMemberState.SUCCEEDED)).append(" of ")
        .append(s.members().size()).append(" databases moved, ").append(s.count(FleetMemberState.FAILED))
        .append(" failed, ").append(s.count(FleetMemberState.SKIPPED)).append(" skipped, ")
        .append(s.count(FleetMemberState.NOT_STARTED)).append(" not started, ")
        .append(s.count(FleetMemberState.RUNNING)).append(" running; ").append(s.waves()).append(" waves")
        .append(s.runs() > 0 ? ", " + s.runs() + " continue-as-new" : "").append(".\n\n");
    if (s.waitingFor() != null && !s.waitingFor().isEmpty()) md.append("Waiting for: ").append(s.waitingFor()).append("\n\n");
    md.append("## Waves\n\n| Wave | Databases | Succeeded | Failed | Skipped | First start | Last end |\n|---|---|---|---|---|---|---|\n");
    for (int w = 0; w < s.waves(); w++) {
      int wave = w;
      List<FleetMember> rows = s.members().stream().filter(m -> m.wave() == wave).toList();
      md.append("| ").append(wave == 0 ? "0 (canary)" : wave).append(" | ").append(rows.size()).append(" | ")
          .append(count(rows, FleetMemberState.SUCCEEDED)).append(" | ").append(count(rows, FleetMemberState.FAILED))
          .append(" | ").append(count(rows, FleetMemberState.SKIPPED)).append(" | ")
          .append(rows.stream().map(FleetMember::startedAt).filter(x -> x != null).min(String::compareTo).orElse("-"))
          .append(" | ")
          .append(rows.stream().map(FleetMember::finishedAt).filter(x -> x != null).max(String::compareTo).orElse("-"))
          .append(" |\n");
    }
    md.append("\n## Databases\n\n| Wave | Database | Outcome | Phase | Write freeze | Started | Finished | Note |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    for (FleetMember m : s.members()) {
      md.append("| ").append(m.wave()).append(" | ").append(m.name()).append(" | ").append(m.state()).append(" | ")
          .append(orDash(m.phase())).append(" | ").append(m.freezeMillis() == null ? "-" : m.freezeMillis() + " ms")
          .append(" | ").append(orDash(m.startedAt())).append(" | ").append(orDash(m.finishedAt())).append(" | ")
          .append(orDash(m.state() == FleetMemberState.RUNNING ? m.waitingFor() : m.error())).append(" |\n");
    }
    if (!s.decisions().isEmpty()) {
      md.append("\n## Decisions\n\n");
      for (Decision d : s.decisions()) {
        md.append("- ").append(d.at()).append(" ").append(d.by()).append(": ").append(d.action())
            .append(d.accepted() ? " (accepted" : " (refused").append(d.reason() == null ? "" : ": " + d.reason())
            .append(")").append(d.comment() == null || d.comment().isEmpty() ? "" : " \"" + d.comment() + "\"").append("\n");
      }
    }
    return md.toString();
  }

  private static long count(List<FleetMember> rows, FleetMemberState state) {
    return rows.stream().filter(m -> m.state() == state).count();
  }

  private static String orDash(Object o) {
    return o == null || o.toString().isEmpty() ? "-" : o.toString().replace('|', '/').replace('\n', ' ');
  }
}
