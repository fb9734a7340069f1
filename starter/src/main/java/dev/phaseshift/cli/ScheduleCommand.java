package dev.phaseshift.cli;

import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.DriftCheckWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowNotFoundException;
import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.MigrationWorkflow;
import dev.phaseshift.workflow.TaskQueues;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.client.schedules.ScheduleState;
import io.temporal.common.SearchAttributes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code phaseshift schedule ...}: Temporal Schedules that rehearse a migration or check a running
 * or finished one for drift. Schedule ids are {@code rehearsal-<name>} and {@code drift-check-<name>}.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
    description = "Schedules rehearsals and drift checks (Temporal Schedules).",
    subcommands = {ScheduleCommand.Create.class, ScheduleCommand.ListSchedules.class, ScheduleCommand.Describe.class,
        ScheduleCommand.Pause.class, ScheduleCommand.Unpause.class, ScheduleCommand.Trigger.class,
        ScheduleCommand.Delete.class})
public final class ScheduleCommand {
  static final String[] EXIT_CODES = {"0:done", "1:refused by Temporal", "2:bad input",
      "3:cannot reach Temporal or no such schedule"};

  public enum Kind { rehearsal, drift_check }

  public enum Overlap {
    skip(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP),
    buffer_one(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE),
    buffer_all(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL),
    cancel_other(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER),
    terminate_other(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER),
    allow_all(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);

    final ScheduleOverlapPolicy policy;

    Overlap(ScheduleOverlapPolicy policy) {
      this.policy = policy;
    }
  }

  static String scheduleId(Kind kind, String name) {
    return kind == Kind.rehearsal ? "rehearsal-" + name : DriftCheckWorkflow.scheduleId(name);
  }

  /** When the schedule fires: exactly one of cron or interval. */
  static final class When {
    @Option(names = "--cron", paramLabel = "EXPR", description = "cron expression, e.g. \"0 3 * * 1\" (Mondays 03:00 UTC)")
    String cron;

    @Option(names = "--interval", paramLabel = "DURATION", description = "every DURATION, e.g. 6h or 1d")
    String interval;
  }

  @Command(name = "create", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:created", "1:refused by Temporal (e.g. it exists)", "2:bad input", "3:cannot reach Temporal"},
      description = {"Creates a rehearsal or drift-check schedule for a plan.",
          "A rehearsal's plan must say mode: rehearsal and point at a scratch target, which the",
          "rehearsal fills and empties again; a drift check compares the plan's source and target",
          "and fails when they differ."})
  static final class Create implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN", description = "plan file (YAML or JSON)")
    Path file;

    @Option(names = "--kind", defaultValue = "rehearsal", converter = KindConverter.class,
        description = "rehearsal or drift-check (default ${DEFAULT-VALUE})")
    Kind kind;

    @ArgGroup(exclusive = true, multiplicity = "1")
    When when;

    @Option(names = "--overlap", defaultValue = "skip", converter = OverlapConverter.class,
        description = "when a run is still going: skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all (default ${DEFAULT-VALUE})")
    Overlap overlap;

    @Option(names = "--paused", description = "create it paused")
    boolean paused;

    @Option(names = "--task-queue", defaultValue = TaskQueues.MIGRATIONS, description = "task queue the workers poll (default ${DEFAULT-VALUE})")
    String taskQueue;

    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      MigrationPlan plan = PlanFiles.loadOrFail(file);
      if (kind == Kind.rehearsal && !plan.rehearsal()) {
        throw new CliException(ExitCodes.BAD_INPUT, file + ": a rehearsal schedule needs a plan with mode: rehearsal"
            + " whose target is a scratch database (the rehearsal creates tables there and drops them again)");
      }
      if (kind == Kind.drift_check && plan.rehearsal()) {
        throw new CliException(ExitCodes.BAD_INPUT, file + ": a drift check compares a real migration's source and"
            + " target; give the migration's plan (mode: migration)");
      }
      if (kind == Kind.drift_check) refuseEndedMigration(plan);
      ScheduleSpec.Builder spec = ScheduleSpec.newBuilder();
      if (when.cron != null) {
        if (when.cron.trim().split("\\s+").length != 5) {
          throw new CliException(ExitCodes.BAD_INPUT, "--cron: '" + when.cron + "' must have five fields: minute hour day-of-month month day-of-week");
        }
        spec.setCronExpressions(List.of(when.cron.trim()));
      } else {
        if (!DurationText.isValid(when.interval) || DurationText.parse(when.interval).toSeconds() < 1) {
          throw new CliException(ExitCodes.BAD_INPUT, "--interval: '" + when.interval + "' is not a duration; write e.g. 6h or 1d");
        }
        spec.setIntervals(List.of(new ScheduleIntervalSpec(DurationText.parse(when.interval))));
      }
      String id = scheduleId(kind, plan.name());
      WorkflowOptions.Builder run = WorkflowOptions.newBuilder()
          .setTaskQueue(taskQueue)
          .setStaticSummary((kind == Kind.rehearsal ? "Rehearsal of " : "Drift check of ") + plan.name() + ": "
              + plan.source().hostAndDatabase() + " to " + plan.target().hostAndDatabase())
          // Always with details too: SDK 1.38 cannot read back a schedule whose action has a
          // summary but no details (it decodes the empty details payload and fails).
          .setStaticDetails(MigrateCommand.Start.details(plan))
          .setTypedSearchAttributes(attributes(plan));
      ScheduleActionStartWorkflow action = kind == Kind.rehearsal
          ? ScheduleActionStartWorkflow.newBuilder().setWorkflowType(MigrationWorkflow.TYPE)
              .setArguments(plan).setOptions(run.setWorkflowId(plan.workflowId()).build()).build()
          : ScheduleActionStartWorkflow.newBuilder().setWorkflowType(DriftCheckWorkflow.TYPE)
              .setArguments(plan).setOptions(run.setWorkflowId("drift-check-" + plan.name()).build()).build();
      Schedule schedule = Schedule.newBuilder()
          .setAction(action)
          .setSpec(spec.build())
          .setPolicy(SchedulePolicy.newBuilder().setOverlap(overlap.policy).build())
          .setState(ScheduleState.newBuilder().setPaused(paused)
              .setNote("created by phaseshift schedule create from " + file.getFileName()).build())
          .build();
      try {
        temporal.schedules().createSchedule(id, schedule, ScheduleOptions.newBuilder().build());
      } catch (ScheduleAlreadyRunningException e) {
        throw new CliException(ExitCodes.FAILED, "schedule " + id + " already exists; delete it first: phaseshift schedule delete " + id);
      } finally {
        temporal.close();
      }
      this.spec.commandLine().getOut().println("Created schedule " + id + (paused ? " (paused)" : "")
          + ". Run it now with: phaseshift schedule trigger " + id);
      return ExitCodes.OK;
    }

    /**
     * A drift check compares through the migration's change streams, which are gone once the
     * migration has ended: every run could only fail. One that has not started yet is let through;
     * its checks compare once it streams.
     */
    private void refuseEndedMigration(MigrationPlan plan) {
      WorkflowExecutionStatus status;
      try {
        status = temporal.client().newUntypedWorkflowStub(plan.workflowId()).describe().getStatus();
      } catch (WorkflowNotFoundException e) {
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) return;
        throw e;
      }
      if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) return;
      temporal.close();
      throw new CliException(ExitCodes.FAILED, "migration " + plan.name() + " has ended ("
          + status.name().replace("WORKFLOW_EXECUTION_STATUS_", "") + "): no change stream is left to compare"
          + " through, so a drift check could only fail; schedule drift checks while a migration runs");
    }

    /** Lets list and the Web UI find scheduled runs by host before their first workflow task. */
    private static SearchAttributes attributes(MigrationPlan plan) {
      SearchAttributes.Builder b = SearchAttributes.newBuilder()
          .set(MigrationSearchAttributes.SOURCE_HOST, MigrationSearchAttributes.host(plan.source()))
          .set(MigrationSearchAttributes.TARGET_HOST, MigrationSearchAttributes.host(plan.target()));
      if (plan.requestedBy() != null && !plan.requestedBy().isBlank()) {
        b.set(MigrationSearchAttributes.REQUESTER, plan.requestedBy());
      }
      return b.build();
    }
  }

  static final class KindConverter implements picocli.CommandLine.ITypeConverter<Kind> {
    @Override
    public Kind convert(String value) {
      try {
        return Kind.valueOf(value.replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException("'" + value + "' must be rehearsal or drift-check");
      }
    }
  }

  static final class OverlapConverter implements picocli.CommandLine.ITypeConverter<Overlap> {
    @Override
    public Overlap convert(String value) {
      try {
        return Overlap.valueOf(value.replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' must be skip, buffer-one, buffer-all, cancel-other, terminate-other or allow-all");
      }
    }
  }

  /** One schedule as listed and described. */
  public record Summary(String id, boolean paused, String note, List<String> nextRuns, List<String> recentRuns,
      String overlap) {}

  @Command(name = "list", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:listed", "2:bad input", "3:cannot reach Temporal"},
      description = "Lists schedules with their state and next run.")
  static final class ListSchedules implements Callable<Integer> {
    @Mixin Output output;
    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      List<Summary> schedules = new ArrayList<>();
      try {
        temporal.schedules().listSchedules().forEach(s -> schedules.add(new Summary(s.getScheduleId(),
            s.getSchedule().getState().isPaused(), s.getSchedule().getState().getNote(),
            s.getInfo().getNextActionTimes().stream().limit(3).map(Object::toString).toList(),
            s.getInfo().getRecentActions().stream().map(ScheduleCommand::describeRun).toList(), null)));
      } finally {
        temporal.close();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (output.json()) {
        out.println(Output.toJson(schedules));
      } else if (schedules.isEmpty()) {
        out.println("no schedules");
      } else {
        out.printf("%-40s %-8s %s%n", "SCHEDULE", "STATE", "NEXT RUN");
        schedules.forEach(s -> out.printf("%-40s %-8s %s%n", s.id(), s.paused() ? "paused" : "active",
            s.nextRuns().isEmpty() ? "-" : s.nextRuns().get(0)));
      }
      return ExitCodes.OK;
    }
  }

  static String describeRun(ScheduleActionResult r) {
    String workflow = r.getAction() instanceof io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow start
        ? start.getWorkflowId() : "?";
    return r.getScheduledAt() + " " + workflow;
  }

  /** Base for the commands that act on one schedule by id. */
  abstract static class OnSchedule implements Callable<Integer> {
    @Parameters(paramLabel = "SCHEDULE", description = "schedule id, e.g. rehearsal-shop (see: phaseshift schedule list)")
    String id;

    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    <T> T on(Function<io.temporal.client.schedules.ScheduleHandle, T> action) {
      if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")) {
        throw new CliException(ExitCodes.BAD_INPUT, "'" + id + "' is not a schedule id (see: phaseshift schedule list)");
      }
      try {
        ScheduleClient client = temporal.schedules();
        return action.apply(client.getHandle(id));
      } catch (io.temporal.client.schedules.ScheduleException e) {
        if (e.getCause() instanceof io.grpc.StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
          throw new CliException(ExitCodes.UNREACHABLE_OR_NOT_FOUND, "no schedule " + id + " (see: phaseshift schedule list)");
        }
        throw e;
      } finally {
        temporal.close();
      }
    }

    int done(String what) {
      spec.commandLine().getOut().println(what);
      return ExitCodes.OK;
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:described", "2:bad input", "3:cannot reach Temporal or no such schedule"},
      description = "Shows a schedule's spec, overlap policy, state, recent and next runs.")
  static final class Describe extends OnSchedule {
    @Mixin Output output;

    @Override
    public Integer call() {
      ScheduleDescription d = on(h -> h.describe());
      Schedule s = d.getSchedule();
      Summary summary = new Summary(d.getId(), s.getState().isPaused(), s.getState().getNote(),
          d.getInfo().getNextActionTimes().stream().limit(5).map(Object::toString).toList(),
          d.getInfo().getRecentActions().stream().map(ScheduleCommand::describeRun).toList(),
          s.getPolicy() == null || s.getPolicy().getOverlap() == null ? null
              : s.getPolicy().getOverlap().name().replace("SCHEDULE_OVERLAP_POLICY_", "").toLowerCase().replace('_', '-'));
      PrintWriter out = spec.commandLine().getOut();
      if (output.json()) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("schedule", summary);
        json.put("cron", s.getSpec().getCronExpressions());
        json.put("intervals", s.getSpec().getIntervals().stream().map(i -> i.getEvery().toString()).toList());
        json.put("runs", d.getInfo().getNumActions());
        out.println(Output.toJson(json));
        return ExitCodes.OK;
      }
      out.println("Schedule " + d.getId() + ": " + (summary.paused() ? "paused" : "active"));
      if (summary.note() != null && !summary.note().isEmpty()) out.println("  note: " + summary.note());
      s.getSpec().getCronExpressions().forEach(c -> out.println("  cron: " + c));
      s.getSpec().getIntervals().forEach(i -> out.println("  every: " + i.getEvery()));
      out.println("  overlap: " + summary.overlap());
      out.println("  runs so far: " + d.getInfo().getNumActions());
      summary.recentRuns().forEach(r -> out.println("  ran: " + r));
      summary.nextRuns().forEach(r -> out.println("  next: " + r));
      return ExitCodes.OK;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
      "0:paused", "2:bad input", "3:cannot reach Temporal or no such schedule"}, description = "Pauses a schedule.")
  static final class Pause extends OnSchedule {
    @Option(names = {"-m", "--comment"}, defaultValue = "paused with phaseshift schedule pause", description = "why; shown as the schedule's note")
    String note;

    @Override
    public Integer call() {
      on(h -> {
        h.pause(note);
        return null;
      });
      return done("Paused " + id);
    }
  }

  @Command(name = "unpause", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
      "0:unpaused", "2:bad input", "3:cannot reach Temporal or no such schedule"}, description = "Unpauses a schedule.")
  static final class Unpause extends OnSchedule {
    @Option(names = {"-m", "--comment"}, defaultValue = "unpaused with phaseshift schedule unpause", description = "why; shown as the schedule's note")
    String note;

    @Override
    public Integer call() {
      on(h -> {
        h.unpause(note);
        return null;
      });
      return done("Unpaused " + id);
    }
  }

  @Command(name = "trigger", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
      "0:triggered", "2:bad input", "3:cannot reach Temporal or no such schedule"},
      description = "Runs a schedule's action now (the overlap policy still applies).")
  static final class Trigger extends OnSchedule {
    @Override
    public Integer call() {
      on(h -> {
        h.trigger();
        return null;
      });
      return done("Triggered " + id + "; see its runs with: phaseshift schedule describe " + id);
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
      "0:deleted", "2:bad input", "3:cannot reach Temporal or no such schedule"},
      description = "Deletes a schedule; runs it already started keep running.")
  static final class Delete extends OnSchedule {
    @Override
    public Integer call() {
      on(h -> {
        h.delete();
        return null;
      });
      return done("Deleted " + id);
    }
  }
}
