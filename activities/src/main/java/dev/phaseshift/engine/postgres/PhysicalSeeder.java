package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.PhysicalSeeding.Progress;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * seedPhysically: pg_basebackup copies the source's cluster into the plan's data directory,
 * pg_createsubscriber turns the copy into a subscriber of the source under the migration's own
 * publication, slot and subscription names, and the new server is started on the target's port.
 *
 * <p>No secret reaches a command line, a configuration file or a catalog the plan did not ask for:
 * the tools read the passwords from a password file beside the data directory (mode 0600, the
 * tools' user's, removed when they are done); the standby's {@code primary_conninfo} is written
 * here, naming that file, instead of by {@code pg_basebackup -R}, which would write the password
 * it connected with; and the subscription's connection is set per the plan's {@code subscriptionAuth}
 * as the logical path sets it.
 */
final class PhysicalSeeder {
  private static final Logger log = LoggerFactory.getLogger(PhysicalSeeder.class);

  private final PhysicalSeedCheck check;

  PhysicalSeeder(PhysicalSeedCheck check) {
    this.check = check;
  }

  ChangeCapture seed(MigrationPlan plan, Consumer<Progress> progress) {
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    SeedDirectory dir = new SeedDirectory(plan);
    try (PgSession s = PgSession.open(source)) {
      int major = PgTools.serverMajor(s.one("reading the source's version",
          "SELECT current_setting('server_version_num')::int", rs -> rs.getInt(1)));
      long clusterBytes = s.one("measuring the source's cluster",
          "SELECT sum(pg_database_size(oid))::bigint FROM pg_database", rs -> rs.getLong(1));
      SeedTools tools = new SeedTools(check.binOrFail(plan.seedingOrDefault(), major), dir);
      String standbySettings = s.call("reading the settings a standby must match", PhysicalSeeder::standbySettings);
      boolean converted = dir.stage().filter(st -> st == SeedDirectory.Stage.CONVERTED).isPresent()
          && dir.start().isPresent() && Files.isDirectory(dir.data())
          && Boolean.TRUE.equals(s.call("looking for the seeding's slot", c -> SeedSourceObjects.present(c, plan)));
      if (!converted) {
        startOver(plan, s, dir, tools);
        s.run("preparing the source", SeedSourceObjects::prepare);
        copy(plan, source, target, dir, tools, clusterBytes, standbySettings, progress);
      } else {
        log.info("{}: the data directory {} is seeded already", plan.name(), dir.data());
      }
      if (!tools.serverRunning()) {
        progress.accept(new Progress("starting the new server", clusterBytes, clusterBytes));
        tools.run("pg_ctl", List.of("start", "-w", "-t", "600", "-D", dir.data().toString(),
            "-l", dir.serverLog().toString()), Map.of(), () -> progress.accept(
                new Progress("starting the new server", clusterBytes, clusterBytes)));
      }
      connectSubscription(plan, source, target);
      ChangeCapture anchor = new ChangeCapture(plan.objectName(), null, PgLsn.position(dir.start().orElseThrow()));
      log.info("{}: {} seeded from {}, subscription {} streams from {}", plan.name(), dir.data(), source,
          PgNames.subscription(plan), anchor.start());
      return anchor;
    }
  }

  /**
   * Removes what an earlier attempt left: its tools (a dead worker's may still run), the
   * publication and slot it may have made on the source, and what it copied; the claim stays.
   */
  private static void startOver(MigrationPlan plan, PgSession s, SeedDirectory dir, SeedTools tools) {
    switch (dir.state()) {
      case FOREIGN -> throw new MigrationException(FailureTypes.PREREQUISITE, "the data directory " + dir.data()
          + " is not empty and was not made by this migration; remove it or choose another seeding.dataDirectory");
      case OURS -> {
        log.info("{}: an earlier attempt left {} half done; removing it and starting over", plan.name(), dir.data());
        tools.endOrphans();
        s.run("removing the earlier attempt's slot and publication", c -> SeedSourceObjects.drop(c, plan));
        dir.emptyOurs();
      }
      default -> { }
    }
  }

  private static void copy(MigrationPlan plan, PgEndpoint source, PgEndpoint target, SeedDirectory dir,
      SeedTools tools, long clusterBytes, String standbySettings, Consumer<Progress> progress) {
    dir.enter(SeedDirectory.Stage.COPYING);
    writePassfile(dir, tools, source, target);
    Map<String, String> env = Map.of("PGPASSFILE", dir.passfile().toString(), "PGAPPNAME", "phaseshift",
        "PGCONNECT_TIMEOUT", "10");
    try {
      progress.accept(new Progress("pg_basebackup", 0, clusterBytes));
      tools.run("pg_basebackup", List.of("-D", dir.data().toString(), "-X", "stream", "-c", "fast", "-w",
          "-h", source.host(), "-p", Integer.toString(source.port()), "-U", source.user()), env,
          () -> progress.accept(new Progress("pg_basebackup", size(dir.data()), clusterBytes)));
      configure(plan, dir, tools, source, target, standbySettings);
      dir.enter(SeedDirectory.Stage.CONVERTING);
      tools.handOver(dir.data().resolve(SeedDirectory.INSIDE));
      progress.accept(new Progress("pg_createsubscriber", clusterBytes, clusterBytes));
      tools.run("pg_createsubscriber", List.of("-D", dir.data().toString(),
          "-P", source.libpqConninfoWithoutPassword(), "-d", source.database(),
          "-p", Integer.toString(target.port()), "-s", dir.parent().toString(), "-U", target.user(),
          "--publication", PgNames.publication(plan), "--replication-slot", PgNames.slot(plan),
          "--subscription", PgNames.subscription(plan)), env,
          () -> progress.accept(new Progress("pg_createsubscriber", clusterBytes, clusterBytes)));
      // Before the new server runs: the slot's position is still where the conversion made it.
      try (Connection c = source.connect()) {
        dir.converted(SeedSourceObjects.anchor(c, plan).start().label());
      } catch (SQLException e) {
        throw new IllegalStateException("cannot read the seeding's slot on " + source + ": "
            + PgEndpoint.redact(e.getMessage()), e);
      }
    } finally {
      try {
        Files.deleteIfExists(dir.passfile());
      } catch (IOException e) {
        log.error("cannot remove the seeding's password file {}: remove it by hand", dir.passfile(), e);
      }
    }
  }

  /**
   * The tools' password file: the source's password for pg_basebackup, the standby's WAL stream and
   * pg_createsubscriber's publisher connections, and the target user's (the source's too, in the
   * copy) for pg_createsubscriber's connections to the copy over its socket.
   */
  private static void writePassfile(SeedDirectory dir, SeedTools tools, PgEndpoint source, PgEndpoint target) {
    List<String> lines = new ArrayList<>();
    Optional.ofNullable(source.passfileLine(source.host(), source.port())).ifPresent(lines::add);
    Optional.ofNullable(target.passfileLine("localhost", target.port())).ifPresent(lines::add);
    SeedDirectory.write(dir.passfile(), String.join("\n", lines) + "\n");
    tools.handOver(dir.passfile());
  }

  /**
   * Makes the copy a standby of the source that pg_createsubscriber can convert, listening where the
   * plan's target is: standby.signal, and in postgresql.auto.conf (which wins over the copied
   * postgresql.conf) the WAL stream's connection without a password, the target's port and address,
   * and wal_level = logical, which the reverse stream after the switchover publishes from.
   */
  private static void configure(MigrationPlan plan, SeedDirectory dir, SeedTools tools, PgEndpoint source,
      PgEndpoint target, String standbySettings) {
    String conninfo = "host=" + PgEndpoint.quote(source.host()) + " port=" + source.port()
        + " user=" + PgEndpoint.quote(source.user()) + " passfile=" + PgEndpoint.quote(dir.passfile().toString())
        + " application_name=" + PgEndpoint.quote(plan.objectName());
    String settings = "\n# physical seeding of migration " + plan.name() + " (Phaseshift)\n"
        + "primary_conninfo = " + guc(conninfo) + "\n"
        + "port = " + target.port() + "\n"
        + "listen_addresses = " + guc(listenAddress(target.host())) + "\n"
        + "wal_level = 'logical'\n" + standbySettings;
    try {
      Path auto = dir.data().resolve("postgresql.auto.conf");
      Files.writeString(auto, settings, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      Path signal = dir.data().resolve("standby.signal");
      Files.writeString(signal, "", StandardCharsets.UTF_8);
      tools.handOver(signal);
      tools.handOver(auto);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot configure the copy in " + dir.data(), e);
    }
  }

  /** Settings a standby may not have below its primary's, or recovery stops. */
  private static final List<String> STANDBY_MINIMUMS = List.of("max_connections", "max_worker_processes",
      "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction");

  /**
   * The source's values of {@link #STANDBY_MINIMUMS}, which the copy must run with at least until
   * it is converted. A source given them on its command line (not in postgresql.conf, which the
   * copy carries) would otherwise leave the copy with lower defaults, and recovery refuses to start.
   */
  private static String standbySettings(Connection source) throws SQLException {
    StringBuilder lines = new StringBuilder();
    for (String name : STANDBY_MINIMUMS) {
      String value = Sql.one(source, "SELECT current_setting(?)", rs -> rs.getString(1), name);
      lines.append(name).append(" = ").append(value).append('\n');
    }
    return lines.toString();
  }

  /**
   * A loopback target listens on loopback only; any other name is an address other hosts use, and a
   * host may have several, so the new server listens on all (its pg_hba.conf, the source's, decides).
   */
  static String listenAddress(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress() ? host : "*";
    } catch (IOException e) {
      return "*";
    }
  }

  private static String guc(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
  }

  /**
   * The subscription's connection as the plan's subscriptionAuth wants it, as the logical path
   * creates it: pg_createsubscriber stored the {@code -P} string, which holds no credential.
   */
  private static void connectSubscription(MigrationPlan plan, PgEndpoint source, PgEndpoint target) {
    String subscription = PgNames.subscription(plan);
    try (Connection t = awaitTarget(target)) {
      WriteFreeze.allowOwnWrites(t);
      // The copy's WAL stream is over; its connection names a password file that is gone.
      Sql.exec(t, "ALTER SYSTEM RESET primary_conninfo");
      Sql.exec(t, "SELECT pg_reload_conf()");
      Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " CONNECTION "
          + Sql.literal(PgSubscriptionAuth.conninfo(t, plan, source, true)));
      String options = PgSubscriptionAuth.options(t, plan);
      if (!options.isEmpty()) {
        Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " SET (" + options.substring(2) + ")");
      }
      Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot set the connection of subscription " + subscription + " on " + target
          + ": " + PgEndpoint.redact(e.getMessage()), e);
    }
  }

  /** The new server over the plan's target address; pg_ctl said it is ready, the network may lag a moment. */
  private static Connection awaitTarget(PgEndpoint target) {
    for (int attempt = 1; ; attempt++) {
      try {
        return target.connect();
      } catch (MigrationException e) {
        if (attempt >= 30 || !FailureTypes.UNREACHABLE.equals(e.type())) throw e;
        Polling.sleep(1000);
      }
    }
  }

  /** Bytes under a directory so far; files that vanish meanwhile (WAL recycled) count as nothing. */
  static long size(Path dir) {
    AtomicLong total = new AtomicLong();
    try (Stream<Path> files = Files.walk(dir)) {
      files.forEach(p -> {
        try {
          if (Files.isRegularFile(p)) total.addAndGet(Files.size(p));
        } catch (IOException e) {
          // Gone since the walk listed it.
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // The directory is being written; the next beat reads it again.
    }
    return total.get();
  }
}
