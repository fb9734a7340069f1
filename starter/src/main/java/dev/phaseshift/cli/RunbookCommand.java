package dev.phaseshift.cli;

import dev.phaseshift.model.MigrationReport;
import dev.phaseshift.workflow.RunbookMarkdown;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code phaseshift runbook NAME}: the switchover and rollback steps with the plan's values, as the
 * migration published them when it reached sign-off, with what happened at each step so far. A
 * running migration answers the {@code runbook} query (a worker must be up); a finished one's
 * runbook comes from its report.
 */
@Command(name = "runbook", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:printed", "1:the migration ended without reaching sign-off, so it has no runbook",
        "2:bad input", "3:cannot reach Temporal or no such migration"},
    description = {"Prints a migration's switchover runbook as Markdown.",
        "Sign-off, window, checks, freeze bound, router action, verify, retention, and how to roll back until",
        "when; with what actually happened at each step once it ran."})
public final class RunbookCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", description = "migration name (the plan's name)")
  String name;

  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String id = Names.workflowId(name);
    String markdown;
    try {
      WorkflowClient client = temporal.client();
      WorkflowStub stub = client.newUntypedWorkflowStub(id);
      if (status(stub, id) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        markdown = stub.query("runbook", String.class);
      } else {
        MigrationReport report = Reports.of(client, id);
        if (report.briefing() == null || report.briefing().runbook() == null) {
          throw new CliException(ExitCodes.FAILED, "migration " + name + " ended (" + report.outcome()
              + ") before it reached sign-off, so it published no runbook");
        }
        markdown = RunbookMarkdown.render(name, report.briefing().runbook());
      }
    } finally {
      temporal.close();
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(markdown);
    out.flush();
    return ExitCodes.OK;
  }

  private static WorkflowExecutionStatus status(WorkflowStub stub, String id) {
    try {
      return stub.describe().getStatus();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new CliException(ExitCodes.UNREACHABLE_OR_NOT_FOUND, "no workflow " + id
            + " (check the name with: phaseshift list)");
      }
      throw e;
    }
  }
}
