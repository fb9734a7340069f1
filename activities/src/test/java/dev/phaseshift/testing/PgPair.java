package dev.phaseshift.testing;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import dev.phaseshift.embedded.PgServerVersions;
import dev.phaseshift.plan.CutoverPolicy;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.TableSelection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Two real PostgreSQL servers for tests: a source and a target, each with a database {@code app}.
 * Start one per test class (starting takes about a second) and give each test its own plan name
 * and tables, or call {@link #resetDatabases()} between tests.
 */
public final class PgPair implements AutoCloseable {
  public static final String DATABASE = "app";

  public final EmbeddedPostgresServer source;
  public final EmbeddedPostgresServer target;

  public PgPair() {
    this(EmbeddedPostgresServer.start(), EmbeddedPostgresServer.start());
  }

  /** A source and a target of the given PostgreSQL majors (see {@code PgServerVersions}). */
  public static PgPair of(int sourceMajor, int targetMajor) {
    return started(EmbeddedPostgresServer.start(sourceMajor), () -> EmbeddedPostgresServer.start(targetMajor));
  }

  /** A pair of default-major servers with {@code settings} on top of the usual ones (see EmbeddedPostgresServer#startWith). */
  public static PgPair with(java.util.Map<String, String> settings) {
    return started(EmbeddedPostgresServer.startWith(settings), () -> EmbeddedPostgresServer.startWith(settings));
  }

  /** The pair once the target has started; a target that fails to start stops the source again. */
  private static PgPair started(EmbeddedPostgresServer source, java.util.function.Supplier<EmbeddedPostgresServer> target) {
    try {
      return new PgPair(source, target.get());
    } catch (RuntimeException e) {
      source.close();
      throw e;
    }
  }

  /** A pair of these majors, or the calling test skipped (saying why) when this machine lacks one. */
  public static PgPair ofOrSkip(int sourceMajor, int targetMajor) {
    for (int major : new int[] {sourceMajor, targetMajor}) {
      var missing = PgServerVersions.unavailable(major);
      Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    }
    return of(sourceMajor, targetMajor);
  }

  private PgPair(EmbeddedPostgresServer source, EmbeddedPostgresServer target) {
    this.source = source;
    this.target = target;
    source.createDatabase(DATABASE);
    target.createDatabase(DATABASE);
  }

  public MigrationPlan plan(String name) {
    return new MigrationPlan(name, source.endpoint(DATABASE), target.endpoint(DATABASE),
        TableSelection.all(), 2, new CutoverPolicy("30s", 64L * 1024 * 1024), false, "1h", "test")
        // The workload sample (60s by default) would add a minute to every run; tests of the
        // assessment set their own.
        .withDefaults().withAssessmentSample("0s");
  }

  public Connection source() throws SQLException {
    return source.connect(DATABASE);
  }

  public Connection target() throws SQLException {
    return target.connect(DATABASE);
  }

  /**
   * Drops and recreates {@code app} on both servers, with any subscription, slot and publication.
   * Subscriptions go first on both sides (reverse replication subscribes the source to the target),
   * then the slots, whose walsenders end with their subscriptions.
   */
  public void resetDatabases() throws SQLException {
    for (EmbeddedPostgresServer server : new EmbeddedPostgresServer[] {target, source}) {
      try (Connection c = server.connect(DATABASE); Statement s = c.createStatement()) {
        s.execute("SET default_transaction_read_only = off");
        var rs = s.executeQuery("SELECT subname FROM pg_subscription WHERE subdbid ="
            + " (SELECT oid FROM pg_database WHERE datname = current_database())");
        java.util.List<String> subs = new java.util.ArrayList<>();
        while (rs.next()) subs.add(rs.getString(1));
        for (String sub : subs) {
          s.execute("ALTER SUBSCRIPTION \"" + sub + "\" DISABLE");
          s.execute("ALTER SUBSCRIPTION \"" + sub + "\" SET (slot_name = NONE)");
          s.execute("DROP SUBSCRIPTION \"" + sub + "\"");
        }
      }
    }
    for (EmbeddedPostgresServer server : new EmbeddedPostgresServer[] {source, target}) {
      try (Connection c = server.connect("postgres"); Statement s = c.createStatement()) {
        s.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL");
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
          var rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE active");
          rs.next();
          if (rs.getLong(1) == 0 || System.currentTimeMillis() > deadline) break;
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
        s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active");
        s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
        s.execute("CREATE DATABASE " + DATABASE);
      }
    }
  }

  /**
   * Publishes the tables on the source and subscribes the target to them with PostgreSQL's own
   * initial copy, under the given names; returns once every table is in sync.
   */
  public void replicate(String publication, String subscription, List<String> tables)
      throws SQLException, InterruptedException {
    try (Connection s = source(); Statement st = s.createStatement()) {
      st.execute("CREATE PUBLICATION " + publication + " FOR TABLE " + String.join(", ", tables));
    }
    try (Connection t = target(); Statement st = t.createStatement()) {
      st.execute("CREATE SUBSCRIPTION " + subscription + " CONNECTION 'host=127.0.0.1 port=" + source.port()
          + " dbname=" + DATABASE + " user=postgres' PUBLICATION " + publication);
      long deadline = System.currentTimeMillis() + 60_000;
      while (true) {
        var rs = st.executeQuery("SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s"
            + " ON s.oid = r.srsubid WHERE s.subname = '" + subscription + "' AND r.srsubstate = 'r'");
        rs.next();
        long ready = rs.getLong(1);
        if (ready == tables.size()) return;
        if (System.currentTimeMillis() > deadline) throw new AssertionError("subscription did not sync: " + ready);
        Thread.sleep(50);
      }
    }
  }

  @Override
  public void close() {
    source.close();
    target.close();
  }
}
