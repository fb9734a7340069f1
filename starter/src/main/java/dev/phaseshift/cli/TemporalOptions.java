package dev.phaseshift.cli;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import picocli.CommandLine.Option;

/** How the CLI reaches Temporal; shared by every command that talks to a server. */
public final class TemporalOptions {
  @Option(names = "--address", defaultValue = "${env:TEMPORAL_ADDRESS:-127.0.0.1:7233}",
      description = "Temporal frontend host:port (env TEMPORAL_ADDRESS, default ${DEFAULT-VALUE})")
  String address;

  @Option(names = "--namespace", defaultValue = "${env:TEMPORAL_NAMESPACE:-default}",
      description = "Temporal namespace (env TEMPORAL_NAMESPACE, default ${DEFAULT-VALUE})")
  String namespace;

  public WorkflowClient client() {
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(address).build());
    return WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
  }
}
