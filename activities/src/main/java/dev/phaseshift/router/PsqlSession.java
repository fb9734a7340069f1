package dev.phaseshift.router;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One psql process, already started and connected (see {@link PgBouncerConsole#open}), used for
 * one batch of commands: it reads them all from stdin, then exits.
 */
final class PsqlSession {
  private final Process process;
  private final String address;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Thread outReader;
  private final Thread errReader;

  /** @param address where psql connected, for messages */
  PsqlSession(Process process, String address) {
    this.process = process;
    this.address = address;
    outReader = drain(process.getInputStream(), out);
    errReader = drain(process.getErrorStream(), err);
  }

  /** Sends the commands, ends the input and waits for psql to run them and exit. */
  ConsoleReply finish(List<String> commands, Duration timeout) {
    StringBuilder script = new StringBuilder();
    for (String command : commands) script.append(command).append(command.startsWith("\\") ? "\n" : ";\n");
    try (var stdin = process.getOutputStream()) {
      stdin.write(script.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // psql already exited (it could not connect, say); its exit code and stderr tell why.
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        return ConsoleReply.failed("no answer within " + timeout.toSeconds() + "s");
      }
      outReader.join();
      errReader.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while talking to PgBouncer at " + address, e);
    }
    // Drop psql's "psql:<stdin>:1: " in front of the server's message.
    String stderr = err.toString(StandardCharsets.UTF_8).replaceAll("(?m)^psql:<stdin>:\\d+: ", "").strip();
    if (process.exitValue() != 0) {
      return ConsoleReply.failed(stderr.isEmpty() ? "psql exit " + process.exitValue() : stderr);
    }
    return ConsoleReply.listings(out.toString(StandardCharsets.UTF_8));
  }

  /** Ends psql without having sent it anything. */
  void cancel() {
    process.destroyForcibly();
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream into) {
    Thread t = new Thread(() -> {
      try (in) {
        in.transferTo(into);
      } catch (IOException e) {
        // The process ended; what was read is all there is.
      }
    }, "pgbouncer-console");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
