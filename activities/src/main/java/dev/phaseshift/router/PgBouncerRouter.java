package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Secrets;
import dev.phaseshift.engine.postgres.PgEndpoint;
import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.workflow.FailureTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Moves application traffic through PgBouncer's admin console, so clients keep their connections
 * and only wait while writes move.
 *
 * <p>{@link #hold} sends {@code PAUSE <db>}: PgBouncer lets running transactions finish, closes its
 * server connections and queues every new query. {@link #release} points the {@code [databases]}
 * entry in the ini file at the side that takes writes, then {@code RELOAD} and {@code RESUME <db>};
 * queued queries then run on new server connections to that side.
 *
 * <p>Requirements on the PgBouncer side:
 * <ul>
 *   <li>{@code pool_mode = transaction} (or {@code statement}) for the entry. In session mode a
 *       client keeps its server connection until it disconnects, so PAUSE would wait for every
 *       application connection to close; {@link #hold} refuses it up front.
 *   <li>the router's user is listed in {@code admin_users};
 *   <li>no {@code pool_mode = session} for the application's user in {@code [users]}: the console
 *       shows pool modes per database and globally, not per user, so that override is not checked;
 *   <li>the worker may write the ini file and its directory (the file is replaced atomically).
 * </ul>
 *
 * <p>The console is driven with psql (libpq), not JDBC: it speaks only the simple query protocol,
 * has no transactions, and rejects the {@code SET extra_float_digits} that pgjdbc 42.7.5+ sends
 * after connecting to any server reporting a version below 12, which the console (reporting
 * PgBouncer's own version) does ("SET failed"; pgbouncer/pgbouncer#1509, fixed only in releases
 * after 1.25, while Debian 12 ships 1.18). libpq sends nothing of
 * the kind and handles every authentication method PgBouncer offers. The password travels in
 * {@code PGPASSWORD}, never on the command line or in a message.
 */
public final class PgBouncerRouter implements Router {
  /** How long PAUSE may wait for running transactions when the plan does not bound the freeze. */
  private static final Duration DEFAULT_PAUSE_WAIT = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
  /** Printed between two listings of one psql run; no console listing has such a line. */
  static final String RESULT_SEPARATOR = "--phaseshift-next-listing--";
  private static final Pattern ADMIN_URL = Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?/([^?]+)(?:\\?(.*))?");
  private static final Pattern SECTION = Pattern.compile("^\\s*\\[\\s*([^\\]]+?)\\s*\\]\\s*(?:[;#].*)?$");
  private static final Pattern ENTRY = Pattern.compile("^(\\s*)(\"[^\"]*\"|[^=\\s;#]+)(\\s*=\\s*)(.*?)(\\s*)$");
  private static final Pattern OPTION = Pattern.compile("\\s*([A-Za-z_]+)\\s*=\\s*('(?:[^'\\\\]|\\\\.|'')*'|[^\\s]*)");
  /** libpq variables inherited from the worker that could send psql to another server or session. */
  private static final List<String> REDIRECTING_ENV = List.of("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE",
      "PGUSER", "PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGTARGETSESSIONATTRS");

  /**
   * A psql already connected to the console for the release that follows this router's hold, and
   * the configuration it was opened for. A router instance serves one switch on one thread.
   */
  private Console.Session releaseConsole;
  private RouterConfig releaseConfig;

  @Override
  public long hold(MigrationPlan plan) {
    RouterConfig r = config(plan);
    Console console = new Console(r);
    // psql for PAUSE starts and connects while the check runs.
    Console.Session pause = console.open();
    try {
      checkPoolMode(console, r);
    } catch (RuntimeException e) {
      pause.cancel();
      throw e;
    }
    long pausing = System.nanoTime();
    Result paused = pause.finish(List.of("PAUSE " + quoted(r.database())), pauseWait(plan));
    // A retried hold finds its own earlier PAUSE in place: holding is what was asked for.
    if (paused.ok() || paused.error().contains("already suspended/paused")) {
      // Connected during the freeze, so the release does not wait for psql to start.
      dropReleaseConsole();
      releaseConsole = console.open();
      releaseConfig = r;
      return pausing;
    }
    // PgBouncer keeps the database paused when the console connection goes away (for example
    // when PAUSE waited too long and psql was stopped); holding traffic that nobody will release
    // would be an outage, so undo it before failing.
    console.run("RESUME " + quoted(r.database()), COMMAND_TIMEOUT);
    if (paused.error().startsWith("no answer")) {
      throw new IllegalStateException("PgBouncer at " + console.address + ": PAUSE of database '" + r.database()
          + "' waited longer than " + pauseWait(plan).toSeconds() + "s for client transactions to finish, so traffic"
          + " was resumed; end long-running transactions (or raise cutover.maxFreeze) and switch over again");
    }
    throw console.failure("pausing", paused);
  }

  @Override
  public void release(MigrationPlan plan, Side side) {
    RouterConfig r = config(plan);
    PgEndpoint endpoint = side == Side.TARGET ? PgEndpoint.target(plan) : PgEndpoint.source(plan);
    // If the entry cannot be pointed at the side, traffic stays held: resuming towards the wrong
    // side would turn waiting clients into failing ones, and the activity's retry tries again.
    pointEntryAt(r, endpoint);
    Console console = new Console(r);
    // One psql run for both, started by hold when this router held: clients wait while it runs,
    // and starting psql is most of its cost. psql stops at the first error, so RESUME never runs
    // after a failed RELOAD.
    List<String> commands = List.of("RELOAD", "RESUME " + quoted(r.database()));
    Console.Session ready = r.equals(releaseConfig) ? releaseConsole : null;
    if (ready == null) dropReleaseConsole();
    releaseConsole = null;
    releaseConfig = null;
    Result released = ready == null ? console.run(commands, COMMAND_TIMEOUT) : ready.finish(commands, COMMAND_TIMEOUT);
    // The early connection may have been lost during the freeze (PgBouncer restarted, say): once more afresh.
    if (ready != null && !released.ok() && !released.error().contains("is not paused")) {
      released = console.run(commands, COMMAND_TIMEOUT);
    }
    // Release is retried after a crash or timeout, and is also called when hold never ran.
    if (!released.ok() && !released.error().contains("is not paused")) {
      throw console.failure("reloading the configuration for and resuming", released);
    }
  }

  @Override
  public boolean switchesConnections() {
    return true;
  }

  private void dropReleaseConsole() {
    if (releaseConsole != null) releaseConsole.cancel();
    releaseConsole = null;
    releaseConfig = null;
  }

  private static RouterConfig config(MigrationPlan plan) {
    RouterConfig r = plan.router();
    if (r == null || r.adminUrl() == null || r.user() == null || r.database() == null || r.configFile() == null) {
      throw new MigrationException(FailureTypes.INVALID_PLAN,
          "router: type pgbouncer needs adminUrl, user, database and configFile; complete the router section");
    }
    return r;
  }

  /** PAUSE waits for running transactions; the plan's freeze bound is how long that may take. */
  private static Duration pauseWait(MigrationPlan plan) {
    if (plan.cutover() == null || plan.cutover().maxFreeze() == null) return DEFAULT_PAUSE_WAIT;
    try {
      Duration d = DurationText.parse(plan.cutover().maxFreeze());
      return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    } catch (IllegalArgumentException e) {
      return DEFAULT_PAUSE_WAIT;
    }
  }

  /**
   * PAUSE in session mode waits until every client disconnects, which for an application with a
   * connection pool means forever; better to say so before holding anything.
   */
  private static void checkPoolMode(Console console, RouterConfig r) {
    // Both listings in one psql run: the check runs between the engine's preparation and the freeze.
    Result both = console.run(List.of("SHOW DATABASES", "\\echo " + RESULT_SEPARATOR, "SHOW CONFIG"), COMMAND_TIMEOUT);
    if (!both.ok()) throw console.failure("listing databases and settings before pausing", both);
    Map<String, String> entry = both.rows().stream().filter(row -> r.database().equals(row.get("name")))
        .findFirst().orElse(null);
    if (entry == null) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "PgBouncer at " + console.address + " has no database entry '" + r.database() + "'; add it to the"
              + " [databases] section of " + r.configFile() + " (and RELOAD) or fix router.database");
    }
    String mode = entry.get("pool_mode");
    String origin = "the entry's pool_mode";
    if (mode == null || mode.isBlank()) {
      mode = both.next().rows().stream().filter(row -> "pool_mode".equals(row.get("key")))
          .map(row -> row.get("value")).findFirst().orElse("session");
      origin = "pool_mode in [pgbouncer]";
    }
    if ("session".equalsIgnoreCase(mode.trim())) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "PgBouncer database '" + r.database() + "' runs in session pooling (" + origin + " = session): PAUSE"
              + " would wait until every application connection closes, so traffic cannot be held; set"
              + " pool_mode = transaction for it in " + r.configFile() + " and RELOAD, or use router type manual");
    }
  }

  /** The console accepts a database name as a double-quoted identifier. */
  private static String quoted(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /**
   * What console commands answered: the first listing's rows (for SHOW), the listings after a
   * {@link #RESULT_SEPARATOR} line in {@code rest}, or the error psql printed.
   */
  record Result(boolean ok, List<Map<String, String>> rows, String error, Result rest) {
    Result(boolean ok, List<Map<String, String>> rows, String error) {
      this(ok, rows, error, null);
    }

    /** The listing after the separator; empty when there is none. */
    Result next() {
      return rest == null ? new Result(ok, List.of(), error) : rest;
    }
  }

  /** PgBouncer's admin console at the plan's adminUrl, one psql run per batch of commands. */
  static final class Console {
    /**
     * psql as last detected. Detecting runs every installation's pg_dump --version, which took a
     * tenth of a second on a loaded machine: too long to repeat in a release clients wait for.
     */
    private static volatile Path knownPsql;

    final String address;
    private final RouterConfig config;
    private final String host;
    private final String port;
    private final String database;
    private final String sslmode;
    private final Path psql;

    Console(RouterConfig r) {
      this.config = r;
      this.psql = psql();
      Matcher m = ADMIN_URL.matcher(r.adminUrl());
      if (!m.matches()) {
        throw new MigrationException(FailureTypes.INVALID_PLAN, "router.adminUrl: '" + r.adminUrl().replaceAll("\\?.*", "")
            + "' is not of the form jdbc:postgresql://host[:port]/pgbouncer");
      }
      host = m.group(1);
      port = m.group(2) == null ? "5432" : m.group(2);
      database = m.group(3);
      String ssl = null;
      if (m.group(4) != null) {
        for (String param : m.group(4).split("&")) {
          if (param.startsWith("sslmode=")) ssl = param.substring("sslmode=".length());
        }
      }
      sslmode = ssl;
      address = host + ":" + port + "/" + database;
    }

    Result run(String command, Duration timeout) {
      return run(List.of(command), timeout);
    }

    /** The commands in one psql session, in order; psql stops at the first that fails. */
    Result run(List<String> commands, Duration timeout) {
      return open().finish(commands, timeout);
    }

    /**
     * Starts psql, which connects at once and then waits for commands on its stdin: what it costs
     * to start psql can then be paid before clients are held rather than while they are.
     */
    Session open() {
      ProcessBuilder pb = new ProcessBuilder(psql.toString(), "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1");
      Map<String, String> env = pb.environment();
      env.keySet().removeAll(REDIRECTING_ENV);
      env.put("PGHOST", host);
      env.put("PGPORT", port);
      env.put("PGDATABASE", database);
      env.put("PGUSER", config.user());
      env.put("PGAPPNAME", "phaseshift");
      env.put("PGCONNECT_TIMEOUT", "10");
      env.put("LC_MESSAGES", "C");
      if (sslmode != null) env.put("PGSSLMODE", sslmode);
      String password = Secrets.resolve("router", config.password());
      if (password != null) env.put("PGPASSWORD", password);
      Process process;
      try {
        process = pb.start();
      } catch (IOException e) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "cannot start " + psql + " (" + e.getMessage() + "); install postgresql-client on the worker");
      }
      return new Session(process);
    }

    /** One psql process of {@link #open}, used for one batch of commands. */
    final class Session {
      private final Process process;
      private final ByteArrayOutputStream out = new ByteArrayOutputStream();
      private final ByteArrayOutputStream err = new ByteArrayOutputStream();
      private final Thread outReader;
      private final Thread errReader;

      private Session(Process process) {
        this.process = process;
        outReader = drain(process.getInputStream(), out);
        errReader = drain(process.getErrorStream(), err);
      }

      /** Sends the commands, ends the input and waits for psql to run them and exit. */
      Result finish(List<String> commands, Duration timeout) {
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
            return new Result(false, List.of(), "no answer within " + timeout.toSeconds() + "s");
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
          return new Result(false, List.of(), stderr.isEmpty() ? "psql exit " + process.exitValue() : stderr);
        }
        return listings(out.toString(StandardCharsets.UTF_8));
      }

      /** Ends psql without having sent it anything. */
      void cancel() {
        process.destroyForcibly();
      }
    }

    /** Splits psql's output at separator lines, one CSV listing each. */
    static Result listings(String stdout) {
      String[] parts = stdout.split("(?:^|\n)" + RESULT_SEPARATOR + "\n", -1);
      Result rest = null;
      for (int i = parts.length - 1; i >= 0; i--) {
        String part = parts[i];
        if (i < parts.length - 1 && !part.isEmpty()) part += "\n";
        rest = new Result(true, csv(part), "", rest);
      }
      return rest;
    }

    RuntimeException failure(String doing, Result result) {
      String message = "PgBouncer at " + address + ": " + doing + " database '" + config.database() + "' failed: "
          + result.error();
      String text = result.error().toLowerCase(Locale.ROOT);
      if (text.contains("password authentication failed") || text.contains("admin access needed")
          || text.contains("not allowed") || text.contains("no such user") || text.contains("no pg_hba")) {
        return new MigrationException(FailureTypes.PREREQUISITE, message + "; check that router.user is in"
            + " admin_users and router.password (" + (config.password() == null ? "none given"
            : config.password().describe()) + ")");
      }
      // Refused, timed out, restarting, or PAUSE still waiting for a transaction: worth retrying.
      return new IllegalStateException(message);
    }

    private static Path psql() {
      Path known = knownPsql;
      if (known != null && Files.isExecutable(known)) return known;
      List<PgTools.Installation> found = PgTools.detect().installations();
      if (found.isEmpty()) {
        throw new MigrationException(FailureTypes.PREREQUISITE, "no psql found on the worker (looked in $"
            + PgTools.BIN_ENV + ", /usr/lib/postgresql/*/bin and PATH); install postgresql-client");
      }
      knownPsql = found.get(0).psql();
      return knownPsql;
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

  /** psql's CSV: a header line, then rows; fields with commas, quotes or newlines are quoted. */
  static List<Map<String, String>> csv(String text) {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          field.append(ch);
        }
      } else if (ch == '"') {
        quoted = true;
        any = true;
      } else if (ch == ',') {
        record.add(field.toString());
        field.setLength(0);
        any = true;
      } else if (ch == '\n') {
        record.add(field.toString());
        field.setLength(0);
        records.add(record);
        record = new ArrayList<>();
        any = false;
      } else if (ch != '\r') {
        field.append(ch);
        any = true;
      }
    }
    if (any || field.length() > 0) {
      record.add(field.toString());
      records.add(record);
    }
    List<Map<String, String>> rows = new ArrayList<>();
    if (records.isEmpty()) return rows;
    List<String> header = records.get(0);
    for (List<String> r : records.subList(1, records.size())) {
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.size(); i++) row.put(header.get(i), i < r.size() ? r.get(i) : null);
      rows.add(row);
    }
    return rows;
  }

  /**
   * Rewrites only the entry's host, port and dbname, keeping its other options (pool_size, user,
   * ...) and every other line byte for byte, then replaces the file atomically so PgBouncer never
   * reads half a file on RELOAD. Writing the same content twice changes nothing, so a retry is safe.
   */
  private static void pointEntryAt(RouterConfig r, PgEndpoint endpoint) {
    Path file;
    try {
      // Replace the file a symlink points at, not the symlink: packagers link pgbouncer.ini.
      file = Path.of(r.configFile()).toRealPath();
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "router.configFile " + r.configFile() + " cannot be read on the worker (" + e.getClass().getSimpleName()
              + "); give the path of PgBouncer's ini file on this host", e);
    }
    String original;
    try {
      original = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot read " + file + " (" + e.getClass().getSimpleName() + "); let the worker read and write it", e);
    }
    String updated = rewrite(original, r.database(), endpoint, file);
    if (updated.equals(original)) return;
    Path temp = null;
    try {
      temp = createPrivateFile(file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid()
          + "." + System.nanoTime() + ".tmp"));
      Files.writeString(temp, updated, StandardCharsets.UTF_8);
      copyOwnership(file, temp);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot replace " + file + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
              + "); the worker needs write access to the file and its directory", e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // A leftover hidden temp file does not affect PgBouncer.
        }
      }
    }
  }

  /**
   * An empty file only its owner can read until {@link #copyOwnership} gives it the ini's mode (the
   * ini may hold passwords). Named by the caller rather than with Files.createTempFile, whose
   * first use in a process initialises SecureRandom, tens of milliseconds while clients are held.
   */
  private static Path createPrivateFile(Path path) throws IOException {
    try {
      return Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return Files.createFile(path);
    }
  }

  /** PgBouncer may run as another user than the worker: the new file must stay readable to it. */
  private static void copyOwnership(Path from, Path to) throws IOException {
    PosixFileAttributeView fromView = Files.getFileAttributeView(from, PosixFileAttributeView.class);
    PosixFileAttributeView toView = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    if (fromView == null || toView == null) return;
    PosixFileAttributes attrs = fromView.readAttributes();
    toView.setPermissions(attrs.permissions());
    try {
      toView.setGroup(attrs.group());
      toView.setOwner(attrs.owner());
    } catch (IOException e) {
      // Only root may give a file away; the copied permissions then keep it readable for a
      // PgBouncer that reads it through its group or world bits, as it did before.
    }
  }

  static String rewrite(String ini, String database, PgEndpoint endpoint, Path file) {
    // Split keeping each line's own terminator, so untouched lines stay byte for byte.
    List<String> lines = new ArrayList<>();
    Matcher lm = Pattern.compile("[^\\n]*\\n|[^\\n]+$").matcher(ini);
    while (lm.find()) lines.add(lm.group());
    String section = "";
    int found = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = stripEol(lines.get(i));
      Matcher s = SECTION.matcher(line);
      if (s.matches()) {
        section = s.group(1).toLowerCase(Locale.ROOT);
        continue;
      }
      if (!section.equals("databases")) continue;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith(";") || trimmed.startsWith("#")) continue;
      Matcher e = ENTRY.matcher(line);
      if (e.matches() && unquote(e.group(2)).equals(database)) found = i;
    }
    if (found < 0) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "no entry '" + database + "' in the [databases] section of " + file + "; add the application's entry"
              + " there (Phaseshift rewrites it, an %include'd file is not followed) or fix router.database");
    }
    String raw = lines.get(found);
    String eol = raw.substring(stripEol(raw).length());
    Matcher e = ENTRY.matcher(stripEol(raw));
    if (!e.matches()) throw new IllegalStateException("entry line no longer parses");
    Map<String, String> options = new LinkedHashMap<>();
    Matcher o = OPTION.matcher(e.group(4));
    int end = 0;
    while (o.find() && o.start() == end) {
      options.put(o.group(1).toLowerCase(Locale.ROOT), o.group(2));
      end = o.end();
    }
    String rest = e.group(4).substring(end).strip();
    if (!rest.isEmpty() && !rest.startsWith(";") && !rest.startsWith("#")) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot read the options of entry '" + database + "' in " + file + " near '" + rest + "'; write them as"
              + " key=value pairs, e.g. host=db1 port=5432 dbname=shop");
    }
    // Order: connection first, then whatever else the operator had, so diffs stay readable.
    Map<String, String> rewritten = new LinkedHashMap<>();
    rewritten.put("host", iniValue(endpoint.host()));
    rewritten.put("port", Integer.toString(endpoint.port()));
    rewritten.put("dbname", iniValue(endpoint.database()));
    // hostaddr would override the new host, so it goes with the old coordinates.
    options.forEach((k, v) -> {
      if (!k.equals("hostaddr")) rewritten.putIfAbsent(k, v);
    });
    StringBuilder value = new StringBuilder();
    rewritten.forEach((k, v) -> value.append(value.length() == 0 ? "" : " ").append(k).append('=').append(v));
    if (!rest.isEmpty()) value.append(' ').append(rest);
    lines.set(found, e.group(1) + e.group(2) + e.group(3) + value + eol);
    return String.join("", lines);
  }

  private static String stripEol(String line) {
    int n = line.length();
    while (n > 0 && (line.charAt(n - 1) == '\n' || line.charAt(n - 1) == '\r')) n--;
    return line.substring(0, n);
  }

  private static String unquote(String key) {
    return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
  }

  /** libpq-style value: quoted only when it contains characters a bare value cannot. */
  private static String iniValue(String v) {
    if (v.matches("[A-Za-z0-9_.:/@%+-]+")) return v;
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
