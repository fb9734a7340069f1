package dev.phaseshift.cli;

import dev.phaseshift.model.MigrationReport;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code phaseshift report NAME}: the finished migration's report as Markdown, with its latest rehearsal. */
@Command(name = "report", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the migration completed (or was rehearsed) and its report is printed",
        "1:the migration failed, was aborted or rolled back (its report is printed), or it has not ended yet",
        "2:bad input", "3:cannot reach Temporal or no such migration"},
    description = {"Prints a finished migration's report as Markdown.",
        "Outcome, tables, validation, phases, approvals and decisions, and the figures of the plan's",
        "latest rehearsal. Works without a running worker: the report is the finished workflow's result."})
public final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", description = "migration name (the plan's name)")
  String name;

  @Option(names = "--rehearsal", description = "the latest completed rehearsal's report instead of the migration's")
  boolean rehearsal;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = Names.workflowId(name);
    MigrationReport report;
    Optional<MigrationReport> latestRehearsal;
    try {
      var client = temporal.client();
      latestRehearsal = Reports.latestRehearsal(client, name);
      if (rehearsal) {
        report = latestRehearsal.orElseThrow(() -> new CliException(ExitCodes.UNREACHABLE_OR_NOT_FOUND,
            "no completed rehearsal of " + name + " found (schedule one with: phaseshift schedule create)"));
      } else {
        report = Reports.of(client, id);
      }
    } finally {
      temporal.close();
    }
    if (output.json()) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("report", report);
      json.put("latestRehearsal", rehearsal ? null : latestRehearsal.map(MigrationReport::rehearsal).orElse(null));
      spec.commandLine().getOut().println(Output.toJson(json));
    } else {
      spec.commandLine().getOut().print(ReportMarkdown.render(report, rehearsal ? Optional.empty() : latestRehearsal));
    }
    spec.commandLine().getOut().flush();
    return "COMPLETED".equals(report.outcome()) || "REHEARSED".equals(report.outcome()) ? ExitCodes.OK : ExitCodes.FAILED;
  }
}
