package dev.phaseshift.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * The exit codes every command documents, and the one place exceptions become them, so a script
 * can tell a refused request from a typo from an unreachable server.
 */
public final class ExitCodes {
  public static final int OK = 0;
  /** The migration, check or request failed or was refused. */
  public static final int FAILED = 1;
  /** Bad input: arguments, options, plan file. */
  public static final int BAD_INPUT = 2;
  /** Temporal cannot be reached, or the migration or schedule does not exist. */
  public static final int UNREACHABLE_OR_NOT_FOUND = 3;

  static final String[] HELP = {
    "0:success",
    "1:the migration, check or request failed or was refused",
    "2:bad input (arguments, options, plan file)",
    "3:cannot reach Temporal, or no such migration or schedule"};

  private ExitCodes() {}

  static int onParameterError(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("error: " + e.getMessage());
    err.println("see: " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
    return BAD_INPUT;
  }

  static int onExecutionError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof CliException cli) {
      err.println("error: " + cli.getMessage());
      return cli.exitCode();
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof WorkflowNotFoundException notFound) {
        err.println("error: no workflow " + notFound.getExecution().getWorkflowId()
            + " (check the name with: phaseshift list)");
        return UNREACHABLE_OR_NOT_FOUND;
      }
      if (t instanceof WorkflowUpdateException update) {
        err.println("refused: " + reason(update.getCause()));
        return FAILED;
      }
      if (t instanceof StatusRuntimeException status) {
        Status.Code code = status.getStatus().getCode();
        if (code == Status.Code.NOT_FOUND) {
          err.println("error: not found: " + status.getStatus().getDescription());
          return UNREACHABLE_OR_NOT_FOUND;
        }
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
          err.println("error: cannot reach Temporal: " + status.getStatus().getDescription());
          return UNREACHABLE_OR_NOT_FOUND;
        }
        if (code == Status.Code.INVALID_ARGUMENT) {
          err.println("error: " + status.getStatus().getDescription());
          return BAD_INPUT;
        }
      }
    }
    err.println("error: " + describe(e));
    return FAILED;
  }

  /** The message and its causes' messages, since SDK exceptions often say little at the top ("Schedule exception"). */
  static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !s.toString().contains(c.getMessage())) s.append(": ").append(c.getMessage());
    }
    return s.toString();
  }

  static String reason(Throwable failure) {
    if (failure instanceof ApplicationFailure app) return app.getOriginalMessage();
    return failure == null ? "no reason given" : failure.getMessage();
  }
}
