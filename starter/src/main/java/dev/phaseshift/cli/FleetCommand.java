package dev.phaseshift.cli;

import dev.phaseshift.model.FleetStatus;
import dev.phaseshift.plan.FleetPlan;
import dev.phaseshift.plan.FleetPlans;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FleetWorkflow;
import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.SearchAttributes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code phaseshift fleet ...}: many migrations moved in waves, a canary first. */
@Command(name = "fleet", mixinStandardHelpOptions = true,
    description = "Moves a fleet of databases in waves (workflow fleet-<name>; each database its own migration).",
    subcommands = {FleetCommand.Validate.class, FleetCommand.Start.class, FleetStatusCommand.class,
        FleetSteer.Approve.class, FleetSteer.Pause.class, FleetSteer.Resume.class, FleetSteer.Skip.class,
        FleetSteer.Abort.class, FleetReportCommand.class})
public final class FleetCommand {

  @Command(name = "validate", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the fleet plan is valid", "2:it is not (every problem is listed)"},
      description = "Checks a fleet plan and every database's plan without contacting anything; lists the waves.")
  static final class Validate implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "fleet plan file (YAML or JSON)")
    Path file;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      FleetPlan fleet = FleetFiles.loadOrFail(file).withDefaults();
      PrintWriter out = spec.commandLine().getOut();
      List<MigrationPlan> plans = FleetPlans.expand(fleet);
      List<Integer> waves = FleetPlans.waveOf(plans.size(), fleet.waves().canary(), fleet.waves().size());
      out.println(file + " is valid: fleet " + fleet.name() + ", " + plans.size() + " database(s) in "
          + (waves.get(waves.size() - 1) + 1) + " wave(s), " + fleet.waves().concurrency() + " at once, sign-off per "
          + fleet.waves().signOff() + ", stops above " + Math.round(fleet.stop().maxFailureRate() * 100) + "% failed");
      for (int i = 0; i < plans.size(); i++) {
        out.println("  wave " + waves.get(i) + "  " + plans.get(i).name() + "  " + plans.get(i).source().hostAndDatabase()
            + " -> " + plans.get(i).target().hostAndDatabase());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:started", "2:bad plan, or the fleet already runs", "3:cannot reach Temporal"},
      description = "Validates the fleet plan and starts its workflow (id fleet-<name>).")
  static final class Start implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "fleet plan file (YAML or JSON)")
    Path file;

    @Option(names = "--task-queue", defaultValue = TaskQueues.MIGRATIONS,
        description = "task queue the workers poll (default ${DEFAULT-VALUE})")
    String taskQueue;

    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      FleetPlan fleet = FleetFiles.loadOrFail(file);
      try {
        WorkflowClient client = temporal.client();
        FleetWorkflow workflow = client.newWorkflowStub(FleetWorkflow.class, WorkflowOptions.newBuilder()
            .setTaskQueue(taskQueue)
            .setWorkflowId(fleet.workflowId())
            .setTypedSearchAttributes(SearchAttributes.newBuilder()
                .set(MigrationSearchAttributes.FLEET, fleet.name()).build())
            .setStaticSummary("Fleet " + fleet.name() + ": " + FleetPlans.expand(fleet).size() + " databases")
            .build());
        WorkflowClient.start(workflow::run, fleet, (FleetStatus) null);
      } catch (WorkflowExecutionAlreadyStarted e) {
        spec.commandLine().getErr().println("fleet " + fleet.name() + " is already running (workflow "
            + fleet.workflowId() + "); watch it with: phaseshift fleet status " + fleet.name());
        return ExitCodes.BAD_INPUT;
      } finally {
        temporal.close();
      }
      spec.commandLine().getOut().println("Started " + fleet.workflowId() + ". Watch it with: phaseshift fleet status "
          + fleet.name() + " --watch");
      return ExitCodes.OK;
    }
  }
}
