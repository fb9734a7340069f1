package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Secrets;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One side of the migration as PostgreSQL sees it: opens JDBC and replication connections and
 * hands libpq tools (pg_dump, psql, the subscription) the same coordinates. The password is read
 * from its reference on each use and never kept in a field that could be logged.
 */
public final class PgEndpoint {
  private static final Pattern URL = Pattern.compile(
      "jdbc:postgresql://([^/:?]+)(?::(\\d+))?/([^?]+)(?:\\?.*)?");

  /** Anything after {@code password=} up to the next blank, or a quoted value with escapes. */
  private static final Pattern PASSWORD = Pattern.compile("password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'?|\\S+)");

  private final String role;
  private final Endpoint endpoint;
  private final String host;
  private final int port;
  private final String database;

  private PgEndpoint(String role, Endpoint endpoint) {
    this.role = role;
    this.endpoint = endpoint;
    Matcher m = URL.matcher(endpoint.url());
    if (!m.matches()) {
      throw new MigrationException(FailureTypes.INVALID_PLAN,
          role + ".url: '" + endpoint.url() + "' is not of the form jdbc:postgresql://host[:port]/dbname");
    }
    this.host = m.group(1);
    this.port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
    this.database = m.group(3);
  }

  public static PgEndpoint source(dev.phaseshift.plan.MigrationPlan plan) {
    return new PgEndpoint("source", plan.source());
  }

  public static PgEndpoint target(dev.phaseshift.plan.MigrationPlan plan) {
    return new PgEndpoint("target", plan.target());
  }

  public String role() {
    return role;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String database() {
    return database;
  }

  public String user() {
    return endpoint.user();
  }

  private String password() {
    return Secrets.resolve(role, endpoint.password());
  }

  private Properties properties() {
    Properties p = new Properties();
    p.setProperty("user", endpoint.user());
    String password = password();
    if (password != null) p.setProperty("password", password);
    p.setProperty("ApplicationName", "phaseshift");
    p.setProperty("connectTimeout", "10");
    return p;
  }

  /** A normal session. Connection failures become a readable prerequisite failure. */
  public Connection connect() {
    try {
      return DriverManager.getConnection(endpoint.url(), properties());
    } catch (SQLException e) {
      throw unreachable(e);
    }
  }

  /** A logical replication session ({@code replication=database}), for slot commands. */
  public Connection connectReplication() {
    return replicationSession("database");
  }

  /** A physical replication session ({@code replication=true}), the kind pg_basebackup opens. */
  public Connection connectPhysicalReplication() {
    return replicationSession("true");
  }

  private Connection replicationSession(String replication) {
    Properties p = properties();
    p.setProperty("replication", replication);
    p.setProperty("assumeMinServerVersion", "10");
    p.setProperty("preferQueryMode", "simple");
    try {
      return DriverManager.getConnection(endpoint.url(), p);
    } catch (SQLException e) {
      throw unreachable(e);
    }
  }

  /**
   * Wrong credentials or a missing database will not fix themselves: those fail at once. Anything
   * else (refused, timed out, server restarting) is worth retrying: typed UNREACHABLE, which the
   * activity layer retries (briefly in PREPARE, where it is mostly a wrong host or port).
   */
  private MigrationException unreachable(SQLException e) {
    String message = "cannot connect to " + role + " " + host + ":" + port + "/" + database + " as " + user()
        + ": " + e.getMessage() + " (check " + role + ".url, " + role + ".user and " + role + ".password)";
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.startsWith("28") || state.equals("3D000")) {
      return new MigrationException(FailureTypes.PREREQUISITE, message, e);
    }
    return new MigrationException(FailureTypes.UNREACHABLE, message, e);
  }

  /**
   * libpq connection string for the target's subscription to reach the source. It contains the
   * password, so it goes straight into the CREATE SUBSCRIPTION statement and nowhere else.
   */
  public String libpqConninfo() {
    String password = password();
    return password == null ? libpqConninfoWithoutPassword()
        : libpqConninfoWithoutPassword() + " password=" + quote(password);
  }

  /** Where to connect and as whom, without the password: what a subscription may keep in its catalog. */
  String libpqConninfoWithoutPassword() {
    return "host=" + quote(host) + " port=" + port + " dbname=" + quote(database) + " user=" + quote(user());
  }

  /**
   * This endpoint's line of a libpq password file ({@code host:port:database:user:password}, with
   * {@code :} and {@code \} escaped); null when the plan gives no password.
   */
  String passfileLine() {
    String password = password();
    if (password == null) return null;
    return passfileField(host) + ":" + port + ":" + passfileField(database) + ":" + passfileField(user()) + ":"
        + passfileField(password);
  }

  /**
   * A password file line for this endpoint's user and password at another address and any
   * database (the replication pseudo-database included); null when the plan gives no password.
   */
  String passfileLine(String atHost, int atPort) {
    String password = password();
    if (password == null) return null;
    return passfileField(atHost) + ":" + atPort + ":*:" + passfileField(user()) + ":" + passfileField(password);
  }

  private static String passfileField(String value) {
    return value.replace("\\", "\\\\").replace(":", "\\:");
  }

  /** Environment for libpq tools (pg_dump, psql); the password travels in PGPASSWORD, not argv. */
  public Map<String, String> libpqEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGDATABASE", database);
    env.put("PGUSER", user());
    env.put("PGAPPNAME", "phaseshift");
    String password = password();
    if (password != null) env.put("PGPASSWORD", password);
    return env;
  }

  /** Server messages do not echo statements, but a conninfo could still appear in one. */
  static String redact(String message) {
    return message == null ? "" : PASSWORD.matcher(message).replaceAll("password=********");
  }

  /** A libpq connection-string value: single quotes, with backslash escapes. */
  static String quote(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @Override
  public String toString() {
    return role + " " + host + ":" + port + "/" + database;
  }
}
