package dev.phaseshift.cli;

import dev.phaseshift.model.Readiness;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.AssessmentWorkflow;
import dev.phaseshift.workflow.ReadinessMarkdown;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code phaseshift assess PLAN}: PREPARE's assessment report without starting a migration. A
 * worker runs it (an {@code Assessment} workflow), since the worker holds the credentials and
 * reaches the servers; nothing is changed on either server.
 */
@Command(name = "assess", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:assessed, no blockers", "1:assessed and blockers found (listed in the report), or the"
        + " assessment failed", "2:bad input (plan file, options)", "3:cannot reach Temporal"},
    description = {"Prints the assessment report of a plan without changing anything.",
        "What an approver reads before anything moves: workload per table (reads, writes, change rate) sampled",
        "over --sample, top statements, write-ahead log per minute, sizes and growth, projected copy, catch-up",
        "and freeze (from the latest rehearsal when there is one), clients and whether the target admits them,",
        "maintenance windows, blockers and warnings. Needs a running worker."})
public final class AssessCommand implements Callable<Integer> {
  /** Time for the worker's reads around the sample, on top of the sample itself. */
  static final Duration OVERHEAD = Duration.ofMinutes(15);

  @Parameters(paramLabel = "PLAN", description = "plan file (YAML or JSON)")
  Path file;

  @Option(names = "--sample", description = "how long to watch the workload, e.g. 10s (default: the plan's"
      + " assessment.sample, else 60s); 0s reports sizes only")
  String sample;

  @Option(names = "--json", description = "print the report as JSON instead of Markdown (as --output json)")
  boolean json;

  @Mixin Output output;

  @Option(names = "--task-queue", defaultValue = TaskQueues.MIGRATIONS,
      description = "task queue the workers poll (default ${DEFAULT-VALUE})")
  String taskQueue;

  @Mixin TemporalOptions temporal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    MigrationPlan plan = PlanFiles.loadOrFail(file);
    if (sample != null) {
      if (!DurationText.isValid(sample)) {
        throw new CliException(ExitCodes.BAD_INPUT, "--sample '" + sample + "' is not a duration; write e.g. 10s or 2m");
      }
      plan = plan.withAssessmentSample(sample);
    }
    Duration sampled = DurationText.parse(plan.assessmentSampleOrDefault());
    Readiness readiness;
    try {
      AssessmentWorkflow workflow = temporal.client().newWorkflowStub(AssessmentWorkflow.class,
          WorkflowOptions.newBuilder()
              .setTaskQueue(taskQueue)
              .setWorkflowId(AssessmentWorkflow.workflowId(plan.name(), UUID.randomUUID().toString().substring(0, 8)))
              // Without a worker the run would wait forever; it ends, and the command with it.
              .setWorkflowExecutionTimeout(sampled.plus(OVERHEAD))
              .setStaticSummary("Assessment of " + plan.name() + ": " + plan.source().hostAndDatabase() + " to "
                  + plan.target().hostAndDatabase())
              .build());
      readiness = workflow.assess(plan);
    } catch (WorkflowFailedException failed) {
      Throwable cause = failed.getCause() == null ? failed : failed.getCause();
      throw new CliException(ExitCodes.FAILED, "the assessment of " + plan.name() + " failed: " + cause.getMessage());
    } finally {
      temporal.close();
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(json || output.json() ? Output.toJson(readiness) + "\n" : ReadinessMarkdown.render(readiness));
    out.flush();
    return readiness.assessment().blockers().isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
  }
}
