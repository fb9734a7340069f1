package dev.phaseshift.router;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A process started by a test (pgbench, say), its output collected as it runs. */
final class CollectedProcess {
  final Process process;
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Thread reader;

  /** @param builder with stderr redirected into stdout, if both are wanted */
  CollectedProcess(ProcessBuilder builder) throws IOException {
    this.process = builder.start();
    reader = new Thread(() -> {
      try (InputStream in = process.getInputStream()) {
        in.transferTo(output);
      } catch (IOException e) {
        // The process ended; what was read is what there is.
      }
    });
    reader.start();
  }

  /** What it wrote so far. */
  String outputSoFar() {
    return output.toString(StandardCharsets.UTF_8);
  }

  /** Waits for it to end and returns all it wrote. */
  String finish(long timeoutSeconds) throws Exception {
    assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS), "the process did not finish:\n" + outputSoFar());
    reader.join();
    return output.toString(StandardCharsets.UTF_8);
  }
}
