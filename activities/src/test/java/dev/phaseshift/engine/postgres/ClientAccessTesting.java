package dev.phaseshift.engine.postgres;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.RetiredClient;
import dev.phaseshift.plan.SubscriptionAuth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

/** Client authentication files and clients from chosen loopback addresses, for the access tests. */
final class ClientAccessTesting {
  private ClientAccessTesting() {}

  /** Replaces the server's pg_hba.conf with these lines and reloads it. */
  static void hba(EmbeddedPostgresServer server, String... lines) throws SQLException, IOException {
    try (Connection c = server.connect("postgres"); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SHOW hba_file");
      rs.next();
      Files.write(Path.of(rs.getString(1)), List.of(lines));
      s.execute("SELECT pg_reload_conf()");
    }
    // The postmaster reloads on SIGHUP, a moment after the call returns.
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A session that the server sees coming from {@code fromAddress} (any 127.x address is loopback). */
  static Connection client(EmbeddedPostgresServer server, String database, String user, String password,
      String fromAddress, String applicationName) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("localSocketAddress", fromAddress);
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(server.jdbcUrl(database), p);
  }

  static MigrationPlan with(MigrationPlan p, List<RetiredClient> retired, SubscriptionAuth auth) {
    return new MigrationPlan(p.name(), p.source(), p.target(), p.tables(), p.copyParallelism(), p.cutover(),
        p.approvalRequired(), p.retention(), p.requestedBy(), p.approval(), p.maintenanceWindows(), p.router(),
        p.targetDisposable(), p.reverseReplication(), p.finalDumpDirectory(), p.webhookUrl(), p.mode(),
        p.lockTimeout(), retired, auth).withDefaults();
  }
}
