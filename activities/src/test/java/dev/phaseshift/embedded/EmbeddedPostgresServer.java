package dev.phaseshift.embedded;

import dev.phaseshift.plan.Endpoint;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A throwaway PostgreSQL server on a free loopback port, configured for logical replication. Used
 * by the demo and the tests; real migrations point at real servers.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  public static final String SUPERUSER = "postgres";

  /** Logical replication on, plus what makes throwaway servers quick; the same for every major. */
  private static final Map<String, String> CONFIG = config();

  private final int port;
  private final AutoCloseable server;

  private EmbeddedPostgresServer(int port, AutoCloseable server) {
    this.port = port;
    this.server = server;
  }

  private static Map<String, String> config() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("listen_addresses", "127.0.0.1");
    c.put("wal_level", "logical");
    c.put("max_replication_slots", "20");
    c.put("max_wal_senders", "20");
    c.put("max_logical_replication_workers", "8");
    c.put("max_worker_processes", "16");
    c.put("max_connections", "200");
    c.put("shared_buffers", "128MB");
    c.put("max_wal_size", "2GB");
    // As a subscriber: confirm applied positions and start apply workers promptly, so lag
    // reads zero soon after the last change (defaults are 10s and 5s).
    c.put("wal_receiver_status_interval", "1s");
    c.put("wal_retrieve_retry_interval", "200ms");
    // Throwaway servers: durability is not worth the I/O.
    c.put("fsync", "off");
    c.put("full_page_writes", "off");
    return Map.copyOf(c);
  }

  /** A server of the default major ({@value PgServerVersions#DEFAULT_MAJOR}). */
  public static EmbeddedPostgresServer start() {
    return zonky(null);
  }

  /**
   * A server of the given major version, from wherever {@link PgServerVersions} finds one; check
   * {@link PgServerVersions#unavailable} first to skip a test that needs a major this machine lacks.
   */
  public static EmbeddedPostgresServer start(int major) {
    if (major == PgServerVersions.DEFAULT_MAJOR) return start();
    var jar = PgServerVersions.zonkyJar(major);
    if (jar.isPresent()) return zonky(new PgServerVersions.JarResolver(jar.get()));
    Path bin = PgServerVersions.binDir(major).orElseThrow(() -> new IllegalStateException(
        PgServerVersions.unavailable(major).orElse("no PostgreSQL " + major)));
    BinDirPostgres server = BinDirPostgres.start(bin, CONFIG);
    return new EmbeddedPostgresServer(server.port(), server);
  }

  /**
   * A server of the default major with settings beyond the usual ones, e.g.
   * {@code shared_preload_libraries=pg_stat_statements}.
   */
  public static EmbeddedPostgresServer start(Map<String, String> extraConfig) {
    return zonky(null, extraConfig);
  }

  private static EmbeddedPostgresServer zonky(PgBinaryResolver binaries) {
    return zonky(binaries, Map.of());
  }

  private static EmbeddedPostgresServer zonky(PgBinaryResolver binaries, Map<String, String> extraConfig) {
    try {
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(60));
      if (binaries != null) builder.setPgBinaryResolver(binaries);
      CONFIG.forEach(builder::setServerConfig);
      extraConfig.forEach(builder::setServerConfig);
      EmbeddedPostgres pg = builder.start();
      return new EmbeddedPostgresServer(pg.getPort(), pg);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  public int port() {
    return port;
  }

  /** The server's major version, as it reports it. */
  public int major() {
    try (Connection c = connect("postgres"); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  public Endpoint endpoint(String database) {
    return new Endpoint(jdbcUrl(database), SUPERUSER, null);
  }

  /** Creates a database (if missing) and returns its endpoint. */
  public Endpoint createDatabase(String database) {
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database.replace("'", "''") + "'");
      if (!rs.next()) s.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + database, e);
    }
    return endpoint(database);
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, "");
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop PostgreSQL on port " + port, e);
    }
  }
}
