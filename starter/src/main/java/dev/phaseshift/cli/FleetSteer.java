package dev.phaseshift.cli;

import dev.phaseshift.model.Decision;
import dev.phaseshift.model.FleetSkip;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.WaveApproval;
import dev.phaseshift.workflow.FleetWorkflow;
import io.temporal.client.WorkflowUpdateException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The commands that steer a running fleet. Each is an Update, so the answer says at once whether
 * the fleet accepted it and, if not, why; both outcomes are in the fleet's audit trail.
 */
final class FleetSteer {
  private FleetSteer() {}

  abstract static class Request implements Callable<Integer> {
    @Mixin FleetName named;

    @Option(names = "--as", defaultValue = "${env:USER:-unknown}", description = "who asks (default: $USER)")
    String by;

    @Option(names = {"-m", "--comment"}, defaultValue = "", description = "why; kept in the fleet's audit trail")
    String comment;

    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      String id = named.workflowId();
      try {
        FleetWorkflow fleet = temporal.client().newWorkflowStub(FleetWorkflow.class, id);
        Decision d = send(fleet);
        spec.commandLine().getOut().println((d.accepted() ? "accepted: " : "refused: ") + d.action() + " of fleet "
            + named.name + " by " + d.by() + (d.reason() == null ? "" : " (" + d.reason() + ")"));
        return d.accepted() ? ExitCodes.OK : ExitCodes.FAILED;
      } catch (WorkflowUpdateException e) {
        Decision d = Refusals.of(e);
        spec.commandLine().getErr().println("refused: " + d.action() + " of fleet " + named.name + " by " + d.by()
            + " (" + d.reason() + ")");
        return ExitCodes.FAILED;
      } finally {
        temporal.close();
      }
    }

    OperatorRequest request() {
      return new OperatorRequest(by, comment);
    }

    abstract Decision send(FleetWorkflow fleet);
  }

  @Command(name = "approve", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted", "1:refused (the reason is printed)", "2:bad input", "3:cannot reach Temporal or no such fleet"},
      description = "Signs off every switchover of one wave (fleets with signOff: wave); the fleet passes the"
          + " approval to each of the wave's migrations, whose own approval policy still applies.")
  static final class Approve extends Request {
    @Option(names = "--wave", required = true, description = "the wave, 0 being the canary")
    int wave;

    @Override
    Decision send(FleetWorkflow fleet) {
      return fleet.approveWaveUpdate(new WaveApproval(wave, by, comment));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Starts no further migrations; running ones go on.")
  static final class Pause extends Request {
    @Override
    Decision send(FleetWorkflow fleet) {
      return fleet.pauseUpdate(request());
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Goes on after a pause, or after the stop policy stopped the fleet (past the failures so far).")
  static final class Resume extends Request {
    @Override
    Decision send(FleetWorkflow fleet) {
      return fleet.resumeUpdate(request());
    }
  }

  @Command(name = "skip", mixinStandardHelpOptions = true,
      description = "Takes a waiting or failed database out of the fleet; skipping the failures that stopped it lets it go on.")
  static final class Skip extends Request {
    @Parameters(index = "1", paramLabel = "DATABASE", description = "the database's migration name")
    String database;

    @Override
    Decision send(FleetWorkflow fleet) {
      return fleet.skipUpdate(new FleetSkip(database, by, comment));
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true,
      description = "Starts none of the remaining migrations; running ones go on to their end (abort those with phaseshift abort NAME).")
  static final class Abort extends Request {
    @Override
    Decision send(FleetWorkflow fleet) {
      return fleet.abortUpdate(request());
    }
  }
}
