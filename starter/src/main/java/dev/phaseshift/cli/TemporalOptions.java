package dev.phaseshift.cli;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How the CLI reaches Temporal; shared by every command that talks to a server. */
public final class TemporalOptions {
  /**
   * An operator at a terminal would rather hear "unreachable" soon than wait for retries; a busy
   * machine (the CLI's JVM, the server and the databases on two cores) took more than 4 s to
   * connect to a running server, so 10 s, not less.
   */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  @Option(names = "--address", defaultValue = "${env:TEMPORAL_ADDRESS:-127.0.0.1:7233}",
      description = "Temporal frontend host:port (env TEMPORAL_ADDRESS, default ${DEFAULT-VALUE})")
  String address;

  @Option(names = "--namespace", defaultValue = "${env:TEMPORAL_NAMESPACE:-default}",
      description = "Temporal namespace (env TEMPORAL_NAMESPACE, default ${DEFAULT-VALUE})")
  String namespace;

  private WorkflowServiceStubs stubs;

  public WorkflowClient client() {
    return WorkflowClient.newInstance(stubs(), WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
  }

  public ScheduleClient schedules() {
    return ScheduleClient.newInstance(stubs(), ScheduleClientOptions.newBuilder().setNamespace(namespace).build());
  }

  private synchronized WorkflowServiceStubs stubs() {
    if (stubs != null) return stubs;
    try {
      stubs = WorkflowServiceStubs.newConnectedServiceStubs(
          WorkflowServiceStubsOptions.newBuilder().setTarget(address).build(), CONNECT_TIMEOUT);
    } catch (RuntimeException e) {
      throw new CliException(ExitCodes.UNREACHABLE_OR_NOT_FOUND, "cannot reach Temporal at " + address
          + " within " + CONNECT_TIMEOUT.toSeconds() + "s (set --address or TEMPORAL_ADDRESS): " + e.getMessage());
    }
    return stubs;
  }

  /** Closes the connection; commands call it when done, since the CLI may run inside another JVM (tests, scripts). */
  public synchronized void close() {
    if (stubs != null) stubs.shutdownNow();
    stubs = null;
  }
}
