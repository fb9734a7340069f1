package dev.phaseshift.cli;

import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code phaseshift migrate start FILE}. */
@Command(name = "migrate", mixinStandardHelpOptions = true, description = "Start migrations.",
    subcommands = {MigrateCommand.Start.class})
public final class MigrateCommand {

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Validates the plan and starts its migration workflow (id migration-<name>).")
  static final class Start implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "plan file (YAML or JSON)")
    Path file;

    @Option(names = "--task-queue", defaultValue = TaskQueues.MIGRATIONS,
        description = "task queue the workers poll (default ${DEFAULT-VALUE})")
    String taskQueue;

    @Mixin TemporalOptions temporal;

    @Override
    public Integer call() {
      MigrationPlan plan = PlanFiles.loadOrFail(file);
      WorkflowClient client = temporal.client();
      MigrationWorkflow workflow = client.newWorkflowStub(MigrationWorkflow.class, WorkflowOptions.newBuilder()
          .setTaskQueue(taskQueue)
          .setWorkflowId(plan.workflowId())
          .setStaticSummary("Migration " + plan.name() + ": " + plan.source().hostAndDatabase()
              + " to " + plan.target().hostAndDatabase())
          .setStaticDetails(details(plan))
          .build());
      try {
        WorkflowClient.start(workflow::run, plan);
      } catch (WorkflowExecutionAlreadyStarted e) {
        System.err.println("migration " + plan.name() + " is already running (workflow " + plan.workflowId()
            + "); watch it with: phaseshift status " + plan.name());
        return 2;
      }
      System.out.println("Started " + plan.workflowId() + ". Watch it with: phaseshift status " + plan.name());
      return 0;
    }

    /** What the Web UI shows under the workflow's summary; names hosts and policy, never secrets. */
    static String details(MigrationPlan plan) {
      MigrationPlan p = plan.withDefaults();
      return "| | |\n|---|---|\n"
          + "| Mode | " + p.mode() + " |\n"
          + "| Source | " + p.source().hostAndDatabase() + " |\n"
          + "| Target | " + p.target().hostAndDatabase() + " |\n"
          + "| Seeding | " + seeding(p) + " |\n"
          + "| Requested by | " + (p.requestedBy() == null ? "-" : p.requestedBy()) + " |\n"
          + "| Approval | " + (p.approvalRequired() ? p.approval().required() + " approval(s)" : "not required") + " |\n"
          + "| Max freeze | " + p.cutover().maxFreeze() + " |\n"
          + "| Retention | " + p.retention() + " |\n";
    }

    /** The seeding method, and for a physical one where the new server's data goes on the target host. */
    static String seeding(MigrationPlan plan) {
      var s = plan.seedingOrDefault();
      return s.physical() ? "physical into " + s.dataDirectory() + " on the target host" : s.methodOrDefault();
    }
  }
}
