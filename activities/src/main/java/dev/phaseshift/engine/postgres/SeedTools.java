package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pg_basebackup, pg_createsubscriber and pg_ctl of one bin directory, run on the target host as the
 * operating-system user that owns the new data directory's parent. PostgreSQL's server refuses
 * root, and so does pg_createsubscriber; a worker running as root runs them as that user through
 * {@code setpriv}. Each tool's process id goes into the seeding's pid file before it does anything,
 * so a retry after a dead worker can find the orphans and end them.
 */
final class SeedTools {
  static final List<String> NEEDED = List.of("pg_basebackup", "pg_createsubscriber", "pg_ctl");
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)");

  private final Path bin;
  private final SeedDirectory dir;
  /** The uid and gid the tools run as when this worker is root; null when it is not. */
  private final int[] runAs;

  SeedTools(Path bin, SeedDirectory dir) {
    this.bin = bin;
    this.dir = dir;
    this.runAs = root() ? owner(dir.parent()) : null;
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** uid and gid of a file. */
  static int[] owner(Path file) {
    try {
      return new int[] {(Integer) Files.getAttribute(file, "unix:uid"), (Integer) Files.getAttribute(file, "unix:gid")};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the owner of " + file, e);
    }
  }

  /** The major version of the directory's pg_basebackup, empty when a tool is missing or does not answer. */
  static Optional<Integer> major(Path bin) {
    for (String tool : NEEDED) {
      if (!Files.isExecutable(bin.resolve(tool))) return Optional.empty();
    }
    try {
      Process p = new ProcessBuilder(bin.resolve("pg_basebackup").toString(), "--version").redirectErrorStream(true)
          .start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) return Optional.empty();
      Matcher m = VERSION.matcher(out);
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Gives a file the tools' user, when this worker is root (a password file libpq must read, say). */
  void handOver(Path file) {
    if (runAs == null) return;
    try {
      Files.setAttribute(file, "unix:uid", runAs[0]);
      Files.setAttribute(file, "unix:gid", runAs[1]);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot give " + file + " to the data directory's owner", e);
    }
  }

  /** A running tool and the file its output goes to. */
  record Running(String tool, Process process, Path output) {}

  /**
   * Starts a tool with the given libpq environment (never a password: the caller gives
   * {@code PGPASSFILE}); its output goes to a file beside the data directory, since neither tool
   * prints a secret and an operator may want to read it after a failure.
   */
  Running start(String tool, List<String> args, Map<String, String> env) {
    List<String> command = new ArrayList<>();
    if (runAs != null) {
      command.addAll(List.of("setpriv", "--reuid=" + runAs[0], "--regid=" + runAs[1], "--clear-groups"));
    }
    command.add(bin.resolve(tool).toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeAll(PgTools.REDIRECTING_ENV);
    pb.environment().remove("PGPASSFILE");
    pb.environment().putAll(env);
    pb.environment().put("LC_MESSAGES", "C");
    // The tools' user must be able to enter the directory the tool starts in.
    pb.directory(dir.parent().toFile());
    Path output = dir.parent().resolve("." + dir.data().getFileName() + ".phaseshift-seed." + tool + ".out");
    pb.redirectErrorStream(true).redirectOutput(output.toFile());
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      Files.writeString(dir.pids(), p.pid() + " " + tool + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return new Running(tool, p, output);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "cannot start " + command.get(runAs == null ? 0 : 4)
          + ": " + e.getMessage() + "; check seeding.binDirectory" + (runAs == null ? "" : " and that setpriv exists"));
    }
  }

  /** Waits for the tool, calling {@code beat} every two seconds; a non-zero exit fails with the tool's last words. */
  String await(Running running, Runnable beat) {
    try {
      while (!running.process().waitFor(2, TimeUnit.SECONDS)) beat.run();
    } catch (InterruptedException e) {
      running.process().destroy();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + running.tool() + " ran", e);
    } catch (RuntimeException e) {
      // The step was cancelled (its heartbeat said so): the tool must not go on by itself.
      running.process().destroy();
      throw e;
    }
    String out = SeedDirectory.read(running.output()).orElse("").strip();
    if (running.process().exitValue() != 0) {
      String tail = out.length() > 1200 ? out.substring(out.length() - 1200) : out;
      throw new IllegalStateException(running.tool() + " failed (exit " + running.process().exitValue() + "): "
          + PgEndpoint.redact(tail));
    }
    return out;
  }

  String run(String tool, List<String> args, Map<String, String> env, Runnable beat) {
    return await(start(tool, args, env), beat);
  }

  /**
   * Ends what a dead attempt's tools left running: each process named in the pid file, and the
   * server in the data directory, but only a process whose command line names this data directory
   * (a pid may have been reused by anything since).
   */
  void endOrphans() {
    List<Long> pids = new ArrayList<>();
    SeedDirectory.read(dir.pids()).ifPresent(text -> text.lines().forEach(l -> pid(l.split(" ")[0]).ifPresent(pids::add)));
    SeedDirectory.read(dir.data().resolve("postmaster.pid"))
        .flatMap(text -> text.lines().findFirst()).flatMap(SeedTools::pid).ifPresent(pids::add);
    for (long pid : pids) {
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      if (handle.isEmpty() || !namesDataDirectory(pid)) continue;
      handle.get().destroy();
      try {
        handle.get().onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        handle.get().destroyForcibly();
      }
    }
    try {
      Files.deleteIfExists(dir.pids());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A process id from a line a dying process may have left half written. */
  private static Optional<Long> pid(String text) {
    try {
      return Optional.of(Long.parseLong(text.strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private boolean namesDataDirectory(long pid) {
    try {
      String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ');
      return cmdline.contains(dir.data().toString());
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a server runs in the data directory (its postmaster.pid names a live process of it). */
  boolean serverRunning() {
    return SeedDirectory.read(dir.data().resolve("postmaster.pid"))
        .flatMap(text -> text.lines().findFirst())
        .flatMap(SeedTools::pid)
        .filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && namesDataDirectory(pid))
        .isPresent();
  }
}
