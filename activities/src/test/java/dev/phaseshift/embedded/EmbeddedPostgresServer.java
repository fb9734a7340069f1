package dev.phaseshift.embedded;

import dev.phaseshift.plan.Endpoint;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A throwaway PostgreSQL server on a free loopback port, configured for logical replication. Used
 * by the demo and the tests; real migrations point at real servers.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  public static final String SUPERUSER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static EmbeddedPostgresServer start() {
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder()
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("wal_level", "logical")
          .setServerConfig("max_replication_slots", "20")
          .setServerConfig("max_wal_senders", "20")
          .setServerConfig("max_logical_replication_workers", "8")
          .setServerConfig("max_worker_processes", "16")
          .setServerConfig("max_connections", "200")
          .setServerConfig("shared_buffers", "128MB")
          .setServerConfig("max_wal_size", "2GB")
          // As a subscriber: confirm applied positions and start apply workers promptly, so lag
          // reads zero soon after the last change (defaults are 10s and 5s).
          .setServerConfig("wal_receiver_status_interval", "1s")
          .setServerConfig("wal_retrieve_retry_interval", "200ms")
          // Throwaway servers: durability is not worth the I/O.
          .setServerConfig("fsync", "off")
          .setServerConfig("full_page_writes", "off")
          .start();
      return new EmbeddedPostgresServer(pg);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  public int port() {
    return postgres.getPort();
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
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
