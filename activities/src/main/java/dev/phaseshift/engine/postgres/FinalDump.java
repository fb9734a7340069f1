package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The dump of the old database that decommission writes before it drops anything, when the plan asks. */
final class FinalDump {
  private static final Logger log = LoggerFactory.getLogger(FinalDump.class);
  private static final DateTimeFormatter DUMP_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private final PgTools tools;

  FinalDump(PgTools tools) {
    this.tools = tools;
  }

  /**
   * Writes {@code <dir>/<name>-<UTC time>.dump} (pg_dump custom format) of the old database, once:
   * a finished dump of this migration already in the directory counts. pg_dump writes to a
   * temporary name that is renamed when complete, so a dump cut short by a crash never counts.
   */
  void write(MigrationPlan plan, PgSession s) {
    PgEndpoint source = s.endpoint();
    Path dir = Path.of(plan.finalDumpDirectory());
    Pattern finished = Pattern.compile(Pattern.quote(plan.name()) + "-\\d{8}T\\d{6}Z\\.dump");
    if (!Files.isDirectory(dir)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "finalDumpDirectory " + dir + " does not exist on the worker or is not a directory; create it (writable by the worker) or"
              + " correct the plan, then decommission again; nothing was dropped");
    }
    try (Stream<Path> files = Files.list(dir)) {
      Path existing = files.filter(f -> finished.matcher(f.getFileName().toString()).matches())
          .findFirst().orElse(null);
      if (existing != null) {
        log.info("final dump of {} already written to {}; not dumping again", plan.name(), existing);
        return;
      }
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot list finalDumpDirectory " + dir + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); give the worker read and write access to it; nothing was dropped", e);
    }
    String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DUMP_STAMP);
    Path file = dir.resolve(plan.name() + "-" + stamp + ".dump");
    Path partial = dir.resolve(plan.name() + "-" + stamp + ".dump.partial");
    try {
      Files.deleteIfExists(partial);
      Files.createFile(partial);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "finalDumpDirectory " + dir + " is not writable by the worker (" + e.getClass().getSimpleName()
              + "); grant write access or choose another directory, then decommission again; nothing was dropped",
          e);
    }
    PgTools.Installation inst = tools.forServer(s.call("reading the version", PgInventory::serverVersionNum));
    try {
      // Subscriptions stay out: the reverse one's connection string holds the target's password.
      tools.pgDump(inst, source, List.of("--format=custom", "--no-subscriptions", "--file=" + partial));
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (PgTools.ToolFailure e) {
      quietlyDelete(partial);
      if (e.connectionProblem()) throw new IllegalStateException("dumping the old source: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the final dump of the old source failed: " + e.stderr() + "; check that the source user may read"
              + " every object, then decommission again; nothing was dropped", e);
    } catch (IOException e) {
      quietlyDelete(partial);
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot finish the final dump in " + dir + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); check space and permissions there; nothing was dropped", e);
    } catch (RuntimeException e) {
      quietlyDelete(partial);
      throw e;
    }
    log.info("final dump of {} written to {}", source, file);
  }

  private static void quietlyDelete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover .partial file never counts as a finished dump; the next attempt replaces it.
    }
  }
}
