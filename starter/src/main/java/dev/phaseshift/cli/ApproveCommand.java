package dev.phaseshift.cli;

import dev.phaseshift.model.Approval;
import dev.phaseshift.workflow.MigrationWorkflow;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code phaseshift approve NAME}: sign off a migration's switchover. */
@Command(name = "approve", mixinStandardHelpOptions = true, description = "Signs off a migration's switchover.")
public final class ApproveCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", description = "migration name")
  String name;

  @Option(names = "--as", defaultValue = "${env:USER:-unknown}", description = "approver identity (default: $USER)")
  String approver;

  @Option(names = {"-m", "--comment"}, defaultValue = "", description = "why, or under which conditions")
  String comment;

  @Mixin TemporalOptions temporal;

  @Override
  public Integer call() {
    temporal.client().newWorkflowStub(MigrationWorkflow.class, "migration-" + name)
        .approve(new Approval(approver, comment, null));
    System.out.println("Approval for " + name + " sent as " + approver);
    return 0;
  }
}
