package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dead-man's switch for PgBouncer's PAUSE, which PgBouncer keeps in place when the connection
 * that sent it goes away: a small shell process, started before the PAUSE, that sends
 * {@code RESUME} unless told in time that the worker released traffic itself.
 *
 * <p>The worker talks to it over its stdin, one line at a time: {@code hold <seconds>} sets how
 * long from now it waits, {@code disarm} ends it without a word to PgBouncer. When the worker
 * process dies, even by {@code kill -9}, the kernel closes the pipe and the guard resumes at once;
 * when the worker hangs, the guard resumes once the time it was given is up. It runs in a session
 * of its own ({@code setsid}), so a signal to the worker's process group does not take it along.
 * It resumes without touching the routing: traffic goes where the ini file last pointed, which is
 * the side that still takes writes unless the hand-over was already committed (then the retried
 * step, on the next worker, points it at the target).
 *
 * <p>The console's password reaches it in {@code PGPASSWORD}, like every psql the router starts;
 * its command line holds only the script below.
 */
final class PauseGuard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PauseGuard.class);
  private static final String SCRIPT = String.join("\n",
      "t=\"$PHASESHIFT_HOLD_SECONDS\"",
      // read fails on end of input (the worker is gone) and on timeout (it did not answer in time).
      "while IFS= read -r -t \"$t\" line; do",
      "  case \"$line\" in",
      "    disarm) exit 0 ;;",
      "    'hold '*) t=\"${line#hold }\" ;;",
      "  esac",
      "done",
      "exec \"$PHASESHIFT_PSQL\" -X -q -c \"RESUME $PHASESHIFT_PAUSED_DATABASE\"",
      "");
  private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

  private final Process process;
  private final OutputStream commands;

  private PauseGuard(Process process) {
    this.process = process;
    this.commands = process.getOutputStream();
  }

  /**
   * Starts the guard.
   *
   * @param psqlEnvironment the environment psql needs to reach the console (PGHOST, PGPASSWORD...)
   * @param quotedDatabase  the paused database, quoted for the console
   * @param within          how long it waits before resuming unless told otherwise
   */
  static PauseGuard arm(Path psql, Map<String, String> psqlEnvironment, String quotedDatabase, Duration within) {
    List<String> command = new ArrayList<>();
    SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(p -> command.add(p.toString()));
    command.addAll(List.of("bash", "-c", SCRIPT));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    pb.environment().putAll(psqlEnvironment);
    pb.environment().put("PHASESHIFT_PSQL", psql.toString());
    pb.environment().put("PHASESHIFT_PAUSED_DATABASE", quotedDatabase);
    pb.environment().put("PHASESHIFT_HOLD_SECONDS", Long.toString(seconds(within)));
    try {
      return new PauseGuard(pb.start());
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "cannot start bash to guard PgBouncer's PAUSE ("
          + e.getMessage() + "); traffic was not held; install bash on the worker");
    }
  }

  /** Gives the worker {@code within} from now before the guard resumes traffic itself. */
  void hold(Duration within) {
    send("hold " + seconds(within));
  }

  /** Whether the guard still waits: it resumes traffic when its time is up. */
  boolean armed() {
    return process.isAlive();
  }

  /** Traffic was released by the worker: the guard ends without resuming. */
  @Override
  public void close() {
    send("disarm");
    try {
      commands.close();
      if (!process.waitFor(2, TimeUnit.SECONDS)) process.destroy();
    } catch (IOException e) {
      // It has ended already.
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
    }
  }

  private void send(String line) {
    try {
      commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
      commands.flush();
    } catch (IOException e) {
      // The guard has ended: it resumed traffic already (its time was up), which is what it is for.
      log.warn("the PgBouncer pause guard had ended before '{}' ({}); it resumed traffic on its own", line,
          e.getMessage());
    }
  }

  private static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
