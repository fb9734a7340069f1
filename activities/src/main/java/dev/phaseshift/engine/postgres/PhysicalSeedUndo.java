package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.plan.MigrationPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * undoPhysicalSeeding: the subscription on the new server, the publication and slot on the source,
 * the new server stopped and its data directory removed, when the directory is this migration's.
 * Each part is skipped when it is gone already, so the undo can run any number of times.
 */
final class PhysicalSeedUndo {
  private static final Logger log = LoggerFactory.getLogger(PhysicalSeedUndo.class);

  private final PhysicalSeedCheck check;

  PhysicalSeedUndo(PhysicalSeedCheck check) {
    this.check = check;
  }

  void undo(MigrationPlan plan) {
    SeedDirectory dir = new SeedDirectory(plan);
    if (dir.state() == SeedDirectory.State.FOREIGN) {
      // Never claimed by this migration (the host's check refuses such a directory), so nothing of
      // it is this seeding's: it stays. The source may still hold a publication of the migration's
      // name from an attempt that failed before claiming, which goes.
      log.warn("{}: {} carries no marker of this migration; left as it is", plan.name(), dir.data());
      dropFromSource(plan);
      return;
    }
    if (Files.isDirectory(dir.data())) dropSubscription(plan);
    // The server and its directory go even when the source cannot be reached now: they are this
    // host's, and the slot left on the source is named in the failure, which the undo's retry clears.
    RuntimeException sourceFailure = null;
    try {
      dropFromSource(plan);
    } catch (RuntimeException e) {
      sourceFailure = e;
    }
    if (Files.isDirectory(dir.data())) stop(plan, dir);
    dir.remove();
    if (sourceFailure != null) throw sourceFailure;
    log.info("{}: physical seeding undone, {} removed", plan.name(), dir.data());
  }

  /**
   * Drops the subscription on the new server when it runs. PgReplication's drop detaches it from
   * its slot first, so it works without the source; the slot is dropped there separately.
   */
  private static void dropSubscription(MigrationPlan plan) {
    PgEndpoint target = PgEndpoint.target(plan);
    if (!PhysicalSeedCheck.listening(target.host(), target.port())) return;
    try (Connection t = target.connect()) {
      WriteFreeze.allowOwnWrites(t);
      PgReplication.dropSubscription(t, PgNames.subscription(plan));
    } catch (SQLException | MigrationException e) {
      log.warn("{}: cannot drop subscription {} on {} ({}); the server is stopped and removed anyway",
          plan.name(), PgNames.subscription(plan), target, PgEndpoint.redact(e.getMessage()));
    }
  }

  private static void dropFromSource(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    try (Connection s = source.connect()) {
      SeedSourceObjects.drop(s, plan);
    } catch (SQLException | MigrationException e) {
      throw new IllegalStateException("cannot remove the seeding's slot " + PgNames.slot(plan) + " and publication "
          + PgNames.publication(plan) + " from " + source + " (" + PgEndpoint.redact(e.getMessage()) + "); until"
          + " they are dropped the slot holds WAL on the source: SELECT pg_drop_replication_slot('"
          + PgNames.slot(plan) + "'); DROP PUBLICATION " + Sql.ident(PgNames.publication(plan)), e);
    }
  }

  /** pg_ctl stop -m fast, and whatever a dead attempt's tools left running there. */
  private void stop(MigrationPlan plan, SeedDirectory dir) {
    Path bin = binFor(plan, dir);
    SeedTools tools = new SeedTools(bin == null ? Path.of("/nonexistent") : bin, dir);
    if (bin != null && tools.serverRunning()) {
      try {
        tools.run("pg_ctl", List.of("stop", "-m", "fast", "-w", "-t", "120", "-D", dir.data().toString()),
            Map.of(), () -> { });
      } catch (RuntimeException e) {
        log.warn("{}: pg_ctl stop failed ({}); ending the server's processes", plan.name(), e.getMessage());
      }
    }
    tools.endOrphans();
  }

  /** The seeding's tools, by the copy's own version (the source may be gone). */
  private Path binFor(MigrationPlan plan, SeedDirectory dir) {
    try {
      int major = Integer.parseInt(Files.readString(dir.data().resolve("PG_VERSION")).strip());
      return check.bin(plan.seedingOrDefault(), major).orElse(null);
    } catch (java.io.IOException | NumberFormatException e) {
      return null;
    }
  }
}
