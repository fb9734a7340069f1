package dev.phaseshift.cli;

import dev.phaseshift.model.Approval;
import dev.phaseshift.model.ClientRetirement;
import dev.phaseshift.model.Decision;
import dev.phaseshift.model.OperatorRequest;
import dev.phaseshift.model.RetentionExtension;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.RetiredClient;
import dev.phaseshift.workflow.MigrationWorkflow;
import io.temporal.client.WorkflowUpdateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The commands that steer a running migration. Where the workflow offers an Update the caller
 * learns at once whether it was accepted and why not; for the signal-only requests the command
 * waits briefly for the workflow's audit trail to record its decision, so the answer is the same.
 */
public final class OperatorCommands {
  private OperatorCommands() {}

  /** Options every steering command shares. */
  abstract static class Steer implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "migration name (the plan's name)")
    String name;

    @Option(names = "--as", defaultValue = "${env:USER:-unknown}", description = "who asks (default: $USER)")
    String by;

    @Option(names = {"-m", "--comment"}, defaultValue = "", description = "why; kept in the audit trail")
    String comment;

    @Mixin TemporalOptions temporal;
    @Spec CommandSpec spec;

    MigrationWorkflow workflow() {
      return temporal.client().newWorkflowStub(MigrationWorkflow.class, Names.workflowId(name));
    }

    @Override
    public Integer call() {
      Names.workflowId(name);
      check();
      try {
        return run(workflow());
      } finally {
        temporal.close();
      }
    }

    /** Checks the arguments before anything is sent. */
    void check() {}

    abstract int run(MigrationWorkflow workflow);

    /**
     * Sends an Update and reports its decision. A refusal fails the Update, its details holding
     * the recorded decision: one line on stderr, exit code 1.
     */
    int update(Supplier<Decision> send) {
      try {
        return decided(send.get());
      } catch (WorkflowUpdateException e) {
        Decision d = Refusals.of(e);
        spec.commandLine().getErr().println("refused: " + d.action() + " of " + name + " by " + d.by()
            + " (" + d.reason() + ")");
        return ExitCodes.FAILED;
      }
    }

    int decided(Decision d) {
      spec.commandLine().getOut().println((d.accepted() ? "accepted: " : "refused: ") + d.action() + " of " + name
          + " by " + d.by() + (d.reason() == null ? "" : " (" + d.reason() + ")"));
      return d.accepted() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /**
     * Sends a signal and reports the decision the workflow records for it. Without a worker the
     * signal still waits in history; the command says so instead of guessing an outcome.
     */
    int signalAndConfirm(MigrationWorkflow workflow, String action, Consumer<MigrationWorkflow> signal) {
      int before = workflow.status().decisions().size();
      signal.accept(workflow);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        List<Decision> decisions = workflow.status().decisions();
        for (int i = before; i < decisions.size(); i++) {
          if (decisions.get(i).action().equals(action)) return decided(decisions.get(i));
        }
        sleep(250);
      }
      spec.commandLine().getOut().println("sent: " + action + " to " + name
          + "; the migration has not recorded a decision yet (is a worker running?)");
      return ExitCodes.OK;
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted", "1:refused (the reason is printed)", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "Signs off a migration's switchover; refused with the reason if the plan's approval policy does not allow it.")
  public static final class Approve extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return update(() -> workflow.approveUpdate(new Approval(by, comment, null)));
    }
  }

  @Command(name = "reject", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted", "1:refused (the reason is printed)", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "Refuses the switchover; the migration is undone and the source left as it was.")
  static final class Reject extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return update(() -> workflow.rejectUpdate(new Approval(by, comment, null)));
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted", "1:refused (the reason is printed)", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "After the switchover: moves writes back to the old database, losing nothing.")
  static final class Rollback extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return update(() -> workflow.rollbackUpdate(new OperatorRequest(by, comment)));
    }
  }

  @Command(name = "abort", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted (or sent, if no worker answered yet)", "1:refused (the reason is printed)", "2:bad input",
          "3:cannot reach Temporal or no such migration"},
      description = "Stops a migration before its switchover and undoes everything it created.")
  static final class Abort extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return signalAndConfirm(workflow, "abort", w -> w.abort(new OperatorRequest(by, comment)));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted (or sent)", "1:refused", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "Pauses the bulk copy and the change stream without losing position.")
  static final class Pause extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return signalAndConfirm(workflow, "pause", w -> w.pause(new OperatorRequest(by, comment)));
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted (or sent)", "1:refused", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "Resumes a paused copy and change stream.")
  static final class Resume extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return signalAndConfirm(workflow, "resume", w -> w.resume(new OperatorRequest(by, comment)));
    }
  }

  @Command(name = "connection-switched", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:recorded (or sent)", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "With the manual router: confirms the application now connects to the new primary.")
  static final class ConnectionSwitched extends Steer {
    @Override
    int run(MigrationWorkflow workflow) {
      return signalAndConfirm(workflow, "connection-switched", w -> w.connectionSwitched(new OperatorRequest(by, comment)));
    }
  }

  @Command(name = "extend-retention", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted (or sent)", "1:refused", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = "Keeps the old database longer before it is decommissioned.")
  static final class ExtendRetention extends Steer {
    @Parameters(index = "1", paramLabel = "DURATION", description = "how much longer, e.g. 24h, 90m or 7d")
    String extendBy;

    @Override
    void check() {
      if (!DurationText.isValid(extendBy)) {
        throw new CliException(ExitCodes.BAD_INPUT, "'" + extendBy + "' is not a duration; write e.g. 24h, 90m or 7d");
      }
    }

    @Override
    int run(MigrationWorkflow workflow) {
      return signalAndConfirm(workflow, "extend-retention",
          w -> w.extendRetention(new RetentionExtension(by, extendBy, comment)));
    }
  }

  @Command(name = "retire-client", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:accepted", "1:refused (the reason is printed)", "2:bad input", "3:cannot reach Temporal or no such migration"},
      description = {"Before the switchover: acknowledges that a client seen on the source will not move to the target,"
          + " so the switchover no longer waits for the target to admit it. Name it by --user, --client-address and/or"
          + " --application (a field left out matches any client); -m says why and is required.",
          "Refused after the switchover started and for a client the migration has not seen."})
  static final class RetireClient extends Steer {
    @Option(names = "--user", description = "the role the client logs in as")
    String user;

    @Option(names = "--database", description = "the source database it uses (the migrated one)")
    String database;

    @Option(names = "--client-address", description = "its address as the source saw it, a CIDR range such as 10.1.0.0/16, or local")
    String address;

    @Option(names = "--application", description = "the application_name it sets")
    String application;

    @Override
    void check() {
      if (user == null && address == null && application == null) {
        throw new CliException(ExitCodes.BAD_INPUT, "name the client: --user, --client-address and/or --application");
      }
      if (comment.isBlank()) throw new CliException(ExitCodes.BAD_INPUT, "say why the client will not move: -m \"...\"");
      if (address != null && !RetiredClient.validAddress(address)) {
        throw new CliException(ExitCodes.BAD_INPUT, "--client-address must be an IP address, a CIDR range such as"
            + " 10.1.0.0/16, or local; " + address + " is none");
      }
    }

    @Override
    int run(MigrationWorkflow workflow) {
      return update(() -> workflow.retireClientUpdate(new ClientRetirement(by, user, database, address, application,
          comment)));
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCodes.FAILED, "interrupted");
    }
  }
}
