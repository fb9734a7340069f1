package dev.phaseshift.cli;

import dev.phaseshift.model.Phase;
import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.common.SearchAttributes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code phaseshift list}: migrations found through Temporal's visibility store by their search attributes. */
@Command(name = "list", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:listed (possibly none)", "2:bad input", "3:cannot reach Temporal"},
    description = {"Lists migrations and rehearsals, newest first.",
        "Filters by the search attributes every migration publishes: MigrationPhase, SourceHost,",
        "TargetHost, Requester."})
public final class ListCommand implements Callable<Integer> {
  @Option(names = "--phase", paramLabel = "PHASE", description = "only migrations in this phase: ${COMPLETION-CANDIDATES}")
  Phase phase;

  @Option(names = "--source", paramLabel = "HOST:PORT", description = "only migrations from this source host, e.g. old-db.internal:5432")
  String source;

  @Option(names = "--target", paramLabel = "HOST:PORT", description = "only migrations to this target host")
  String target;

  @Option(names = "--requester", description = "only migrations requested by this person")
  String requester;

  @Option(names = "--running", description = "only migrations whose workflow is still running")
  boolean running;

  @Option(names = "--limit", defaultValue = "50", description = "at most this many (default ${DEFAULT-VALUE})")
  int limit;

  @Mixin Output output;
  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  /** One migration as listed. */
  public record Entry(String workflowId, String status, String phase, String source, String target, String requester,
      String started, String closed) {}

  @Override
  public Integer call() {
    if (limit < 1) throw new CliException(ExitCodes.BAD_INPUT, "--limit must be 1 or more");
    String query = query();
    List<Entry> entries = new ArrayList<>();
    try {
      temporal.client().listExecutions(query).limit(limit).forEach(m -> entries.add(entry(m)));
    } finally {
      temporal.close();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (output.json()) {
      out.println(Output.toJson(entries));
      return ExitCodes.OK;
    }
    if (entries.isEmpty()) {
      out.println("no migrations match (" + query + ")");
      return ExitCodes.OK;
    }
    String format = "%-34s %-10s %-11s %-22s %-22s %-10s %s%n";
    out.printf(format, "WORKFLOW", "STATUS", "PHASE", "SOURCE", "TARGET", "REQUESTER", "STARTED");
    for (Entry e : entries) {
      out.printf(format, e.workflowId(), e.status(), e.phase(), e.source(), e.target(), e.requester(), e.started());
    }
    return ExitCodes.OK;
  }

  String query() {
    StringBuilder q = new StringBuilder("WorkflowType = '").append(MigrationWorkflow.TYPE).append('\'');
    if (phase != null) q.append(" AND MigrationPhase = '").append(phase.name()).append('\'');
    if (source != null) q.append(" AND SourceHost = '").append(literal("--source", source)).append('\'');
    if (target != null) q.append(" AND TargetHost = '").append(literal("--target", target)).append('\'');
    if (requester != null) q.append(" AND Requester = '").append(literal("--requester", requester)).append('\'');
    if (running) q.append(" AND ExecutionStatus = 'Running'");
    return q.toString();
  }

  /** Visibility queries are text; a quote in a filter would end the literal, so it is refused. */
  private static String literal(String option, String value) {
    if (value.isBlank() || value.contains("'") || value.contains("\"") || value.contains("\\")) {
      throw new CliException(ExitCodes.BAD_INPUT, option + ": '" + value + "' is not a host or name (no quotes or backslashes)");
    }
    return value;
  }

  private static Entry entry(WorkflowExecutionMetadata m) {
    SearchAttributes sa = m.getTypedSearchAttributes();
    String status = m.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase();
    return new Entry(m.getExecution().getWorkflowId(), status, orDash(sa.get(MigrationSearchAttributes.PHASE)),
        orDash(sa.get(MigrationSearchAttributes.SOURCE_HOST)), orDash(sa.get(MigrationSearchAttributes.TARGET_HOST)),
        orDash(sa.get(MigrationSearchAttributes.REQUESTER)), String.valueOf(m.getStartTime()),
        m.getCloseTime() == null ? null : m.getCloseTime().toString());
  }

  private static String orDash(String value) {
    return value == null ? "-" : value;
  }
}
