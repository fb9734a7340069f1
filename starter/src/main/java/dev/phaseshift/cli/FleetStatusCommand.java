package dev.phaseshift.cli;

import dev.phaseshift.model.FleetMember;
import dev.phaseshift.model.FleetMemberState;
import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.workflow.FleetWorkflow;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code phaseshift fleet status NAME}: every wave and database, and what the fleet waits for. */
@Command(name = "status", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the fleet runs or completed without failures (with --watch: it ended so)",
        "1:the fleet was aborted, or ended with failed databases", "2:bad input", "3:cannot reach Temporal or no such fleet"},
    description = {"Shows a fleet's state, its wave, what it waits for and a line per database.",
        "Each line: wave, name, state, phase, lag, write freeze, and what it waits for or why it failed.",
        "With --watch it redraws until the fleet ends."})
final class FleetStatusCommand implements Callable<Integer> {
  @Mixin FleetName named;

  @Mixin Watching watching;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = named.workflowId();
    watching.check();
    PrintWriter out = spec.commandLine().getOut();
    try {
      FleetWorkflow fleet = temporal.client().newWorkflowStub(FleetWorkflow.class, id);
      while (true) {
        FleetStatus s = fleet.status();
        if (output.json()) {
          out.println(Output.toJson(s));
        } else {
          watching.clear(out);
          print(out, s);
        }
        out.flush();
        boolean ended = FleetStatus.COMPLETED.equals(s.state()) || FleetStatus.ABORTED.equals(s.state())
            && s.count(FleetMemberState.RUNNING) == 0;
        if (!watching.watch || ended) return ended && !succeeded(s) ? ExitCodes.FAILED : ExitCodes.OK;
        watching.pause();
      }
    } finally {
      temporal.close();
    }
  }

  static boolean succeeded(FleetStatus s) {
    return FleetStatus.COMPLETED.equals(s.state()) && s.count(FleetMemberState.FAILED) == 0;
  }

  static void print(PrintWriter out, FleetStatus s) {
    out.println("fleet " + s.name() + ": " + s.state() + ", wave " + s.currentWave() + " of " + s.waves()
        + " | succeeded " + s.count(FleetMemberState.SUCCEEDED) + ", running " + s.count(FleetMemberState.RUNNING)
        + ", failed " + s.count(FleetMemberState.FAILED) + ", skipped " + s.count(FleetMemberState.SKIPPED)
        + ", waiting " + s.count(FleetMemberState.PENDING)
        + (s.count(FleetMemberState.NOT_STARTED) > 0 ? ", not started " + s.count(FleetMemberState.NOT_STARTED) : ""));
    if (s.waitingFor() != null && !s.waitingFor().isEmpty()) out.println("waiting for: " + s.waitingFor());
    if (s.statusReadAt() != null) out.println("migrations read at " + s.statusReadAt());
    out.printf("%-5s %-28s %-12s %-11s %10s %10s  %s%n", "WAVE", "DATABASE", "STATE", "PHASE", "LAG", "FREEZE", "NOTE");
    for (FleetMember m : s.members()) {
      String note = m.state() == FleetMemberState.RUNNING ? m.waitingFor() : m.error();
      out.printf("%-5d %-28s %-12s %-11s %10s %10s  %s%n", m.wave(), m.name(), m.state(),
          m.phase() == null ? "-" : m.phase(), m.lagBytes() == null ? "-" : Bytes.human(m.lagBytes()),
          m.freezeMillis() == null ? "-" : m.freezeMillis() + "ms", note == null ? "" : note);
    }
  }
}
