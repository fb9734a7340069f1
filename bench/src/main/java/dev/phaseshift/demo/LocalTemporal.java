package dev.phaseshift.demo;

import dev.phaseshift.workflow.MigrationSearchAttributes;
import dev.phaseshift.workflow.PlanPayloadConverter;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A Temporal service for the demo: the Temporal CLI's dev server (with its Web UI) when a
 * {@code temporal} binary is on PATH, otherwise the SDK's in-process test server.
 */
public final class LocalTemporal implements AutoCloseable {
  /** The migration workflow upserts these; a server that does not know them fails its workflow tasks. */
  private final TestWorkflowEnvironment inProcess;
  private final Process devServer;
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final WorkerFactory factory;
  private final String uiAddress;

  private LocalTemporal(TestWorkflowEnvironment inProcess, Process devServer, WorkflowServiceStubs stubs,
      WorkflowClient client, WorkerFactory factory, String uiAddress) {
    this.inProcess = inProcess;
    this.devServer = devServer;
    this.stubs = stubs;
    this.client = client;
    this.factory = factory;
    this.uiAddress = uiAddress;
  }

  public static LocalTemporal start(boolean preferDevServer) throws IOException, InterruptedException {
    Optional<Path> temporal = preferDevServer ? findOnPath("temporal") : Optional.empty();
    if (temporal.isEmpty()) {
      TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(
          TestEnvironmentOptions.newBuilder().setUseTimeskipping(false)
              .setWorkflowClientOptions(WorkflowClientOptions.newBuilder()
                  .setDataConverter(PlanPayloadConverter.dataConverter()).build())
              .build());
      for (String attribute : MigrationSearchAttributes.NAMES) {
        env.registerSearchAttribute(attribute, io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
      }
      return new LocalTemporal(env, null, null, env.getWorkflowClient(), env.getWorkerFactory(), null);
    }
    int port = freePort();
    int uiPort = freePort();
    List<String> command = new java.util.ArrayList<>(List.of(temporal.get().toString(), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", Integer.toString(port), "--ui-port", Integer.toString(uiPort),
        "--http-port", Integer.toString(freePort()), "--metrics-port", Integer.toString(freePort()),
        "--log-level", "error"));
    for (String attribute : MigrationSearchAttributes.NAMES) command.addAll(List.of("--search-attribute", attribute + "=Keyword"));
    Process server = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(
            Files.createTempFile("phaseshift-temporal-", ".log").toFile()))
        .start();
    waitForPort(port, Duration.ofSeconds(60), server);
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
    WorkflowClient client = WorkflowClient.newInstance(stubs,
        WorkflowClientOptions.newBuilder().setDataConverter(PlanPayloadConverter.dataConverter()).build());
    return new LocalTemporal(null, server, stubs, client, WorkerFactory.newInstance(client), "http://127.0.0.1:" + uiPort);
  }

  public WorkflowClient client() {
    return client;
  }

  public WorkerFactory workerFactory() {
    return factory;
  }

  /** The Web UI's address, or empty for the in-process server, which has none. */
  public Optional<String> uiAddress() {
    return Optional.ofNullable(uiAddress);
  }

  public void startWorkers() {
    if (inProcess != null) inProcess.start();
    else factory.start();
  }

  @Override
  public void close() {
    if (inProcess != null) {
      inProcess.close();
      return;
    }
    factory.shutdownNow();
    stubs.shutdownNow();
    devServer.destroy();
    try {
      if (!devServer.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) devServer.destroyForcibly();
    } catch (InterruptedException e) {
      devServer.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The first executable {@code name} on PATH. */
  public static Optional<Path> findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    return List.of(path.split(File.pathSeparator)).stream()
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** A port nothing listens on at the moment, on the loopback interface. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void waitForPort(int port, Duration timeout, Process server)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) throw new IOException("temporal server start-dev exited with " + server.exitValue());
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new IOException("temporal server start-dev did not listen on 127.0.0.1:" + port + " within " + timeout);
  }
}
