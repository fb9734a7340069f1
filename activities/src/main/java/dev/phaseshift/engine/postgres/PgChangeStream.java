package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.ChangeStream;
import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Lag;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's native logical replication as the change stream: a publication of the selected
 * tables and a pgoutput slot on the source, a subscription on the target that attaches to that
 * slot without copying. The slot is created with an exported snapshot; rows read under that
 * snapshot plus everything the slot streams afterwards give every committed row exactly once.
 */
final class PgChangeStream implements ChangeStream {
  private static final Logger log = LoggerFactory.getLogger(PgChangeStream.class);

  private final SnapshotHolder snapshots;

  PgChangeStream(SnapshotHolder snapshots) {
    this.snapshots = snapshots;
  }

  @Override
  public ChangeCapture start(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    String publication = PgNames.publication(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    synchronized (snapshots.lockFor(slot)) {
      try (Connection c = source.connect()) {
        Optional<SnapshotHolder.Held> held = snapshots.get(slot);
        if (held.isPresent() && PgReplication.slotExists(c, slot)) {
          // A retry of a start that succeeded: the publication is left as it was when the
          // snapshot was taken, so the copy and the stream keep covering the same tables.
          SnapshotHolder.Held h = held.get();
          return new ChangeCapture(plan.objectName(), h.snapshotName(), PgLsn.position(h.consistentLsn()));
        }
        snapshots.release(slot);
        PgPublication.ensure(c, plan, publication);
        // A slot this process does not hold the snapshot of comes from a crashed worker or an
        // earlier attempt. Nothing has been copied under it yet (copies need the snapshot), so it
        // can go and be made again with a snapshot we hold. A worker still holding the old
        // snapshot loses it, so its copies fail as SNAPSHOT_LOST instead of copying stale rows.
        SnapshotHolder.endSessions(c, slot);
        PgReplication.dropSlot(c, slot);
      } catch (SQLException e) {
        throw failure("cannot prepare publication " + publication + " on " + source, e);
      }
      Connection replication = source.connectReplication();
      try {
        // Names the session so that attach, reset and undo can end it from any worker process,
        // not only from the one holding it. Runs before the slot exists, so it costs no snapshot.
        Sql.exec(replication, "SET application_name = " + Sql.literal(SnapshotHolder.sessionName(slot)));
        ReplicationSlotInfo info = replication.unwrap(PGConnection.class).getReplicationAPI()
            .createReplicationSlot()
            .logical()
            .withSlotName(slot)
            .withOutputPlugin("pgoutput")
            .make();
        String lsn = info.getConsistentPoint().asString();
        snapshots.hold(slot, replication, info.getSnapshotName(), lsn);
        log.info("created slot {} on {} with publication {}; snapshot {} at {}",
            slot, source, publication, info.getSnapshotName(), lsn);
        return new ChangeCapture(plan.objectName(), info.getSnapshotName(), PgLsn.position(lsn));
      } catch (SQLException e) {
        closeQuietly(replication);
        throw failure("cannot create replication slot " + slot + " on " + source, e);
      } catch (RuntimeException e) {
        closeQuietly(replication);
        throw e;
      }
    }
  }

  @Override
  public void attach(MigrationPlan plan, ChangeCapture capture) {
    String subscription = PgNames.subscription(plan);
    // The copy is over. The slot can be streamed while the creating connection is open (it does
    // not make the slot active), but the snapshot it pins holds back vacuum on the source.
    snapshots.release(PgNames.slot(capture));
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      if (PgReplication.subscriptionExists(t, subscription)) {
        Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
        return;
      }
      try (Connection s = source.connect()) {
        SnapshotHolder.endSessions(s, PgNames.slot(capture));
        if (!PgReplication.slotExists(s, PgNames.slot(capture))) {
          // The rows copied under the snapshot need exactly this slot's changes on top of them.
          throw new MigrationException(FailureTypes.SNAPSHOT_LOST,
              "replication slot " + PgNames.slot(capture) + " no longer exists on " + source
                  + "; the changes made since the copy's snapshot are lost, so the copy must"
                  + " start again from a new snapshot");
        }
      }
      // The publication carries the freeze marker, which the subscription needs on this side; the
      // copy made the bookkeeping schema already, unless this worker never copied to this target.
      PgBookkeepingSchema.ensure(target, t);
      PgReplication.subscribe(t, target, "subscription", subscription, source, PgNames.publication(capture),
          PgNames.slot(capture), plan, true);
      log.info("subscription {} on {} streams slot {} from {}",
          subscription, target, PgNames.slot(capture), source);
    } catch (SQLException e) {
      throw failure("cannot attach subscription " + subscription + " on " + target, e);
    }
  }

  @Override
  public Lag lag(MigrationPlan plan) {
    PgEndpoint source = PgEndpoint.source(plan);
    try (Connection s = source.connect()) {
      return PgReplication.lag(s, PgNames.slot(plan));
    } catch (SQLException e) {
      throw failure("cannot measure replication lag on " + source, e);
    }
  }

  @Override
  public void reset(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    synchronized (snapshots.lockFor(slot)) {
      snapshots.release(slot);
      try (Connection t = target.connect()) {
        PgReplication.dropSubscription(t, PgNames.subscription(plan));
        try (Connection s = source.connect()) {
          SnapshotHolder.endSessions(s, slot);
          PgReplication.dropSlot(s, slot);
        }
        List<String> tables = PgInventory.selectedTables(t, plan).stream()
            .map(n -> Sql.qualified(n.schema(), n.name()))
            .toList();
        t.setAutoCommit(false);
        try {
          // One statement for all tables, so foreign keys between them do not stop it.
          if (!tables.isEmpty()) Sql.exec(t, "TRUNCATE " + String.join(", ", tables));
          CopyLedger.forget(t, plan);
          t.commit();
        } catch (SQLException e) {
          t.rollback();
          throw e;
        }
        log.info("reset copy of {}: slot {} dropped, {} target tables emptied", plan.name(), slot, tables.size());
      } catch (SQLException e) {
        throw failure("cannot reset the copy of " + plan.name(), e);
      }
    }
  }

  @Override
  public void undo(MigrationPlan plan) {
    String slot = PgNames.slot(plan);
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    synchronized (snapshots.lockFor(slot)) {
      snapshots.release(slot);
      // A failing target does not stop the source's cleanup: a slot left behind makes the source
      // keep WAL without bound, while a subscription without its slot only retries quietly.
      RuntimeException targetFailure = null;
      try (Connection t = target.connect()) {
        PgReplication.dropSubscription(t, PgNames.subscription(plan));
        // A switchover that failed after creating the reverse slot leaves it behind, holding WAL.
        PgReplication.dropSlot(t, PgNames.reverseSlot(plan));
        PgReplication.dropPublication(t, PgNames.reversePublication(plan), PgLockBound.of(plan));
        Sql.exec(t, "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE");
      } catch (SQLException e) {
        targetFailure = failure("cannot remove subscription and bookkeeping from " + target, e);
      } catch (RuntimeException e) {
        targetFailure = e;
      }
      try (Connection s = source.connect()) {
        // A write freeze makes new sessions read-only, ours included; DROP PUBLICATION and
        // ALTER DATABASE would be refused in a read-only transaction.
        WriteFreeze.allowOwnWrites(s);
        WriteFreeze.releaseIfFrozen(s, source);
        SnapshotHolder.endSessions(s, slot);
        PgReplication.dropSlot(s, slot);
        PgReplication.dropPublication(s, PgNames.publication(plan), PgLockBound.of(plan));
        FreezeMarker.dropFromSource(s);
      } catch (SQLException e) {
        RuntimeException sourceFailure = failure("cannot remove slot and publication from " + source, e);
        if (targetFailure != null) sourceFailure.addSuppressed(targetFailure);
        throw sourceFailure;
      }
      if (targetFailure != null) throw targetFailure;
      log.info("undid change capture of {}", plan.name());
    }
  }

  private static RuntimeException failure(String what, SQLException e) {
    String message = what + ": " + PgEndpoint.redact(e.getMessage());
    // A missing privilege stays missing however often the step is retried.
    if ("42501".equals(e.getSQLState())) {
      return new MigrationException(FailureTypes.PREREQUISITE, message
          + "; grant the plan's user the privilege (or REPLICATION and ownership of the tables)", e);
    }
    // Connection drops and lock timeouts are worth retrying.
    return new IllegalStateException(message, e);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // Closing only frees the session; the failure that got us here is what gets reported.
    }
  }

  @Override
  public void pause(MigrationPlan plan) {
    String subscription = PgNames.subscription(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      requireSubscription(t, subscription, target, "pause");
      // The operator's pause: a validation must not take it for one of its own and resume it.
      PgApplyPause.forget(t, subscription);
      PgApplyPause.stopApply(t, subscription, target);
      log.info("paused subscription {} on {}; slot {} keeps the position", subscription, target,
          PgNames.slot(plan));
    } catch (SQLException e) {
      throw failure("cannot pause subscription " + subscription + " on " + target, e);
    }
  }

  @Override
  public void resume(MigrationPlan plan) {
    String subscription = PgNames.subscription(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    try (Connection t = target.connect()) {
      requireSubscription(t, subscription, target, "resume");
      Sql.exec(t, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
      PgApplyPause.forget(t, subscription);
      log.info("resumed subscription {} on {}", subscription, target);
    } catch (SQLException e) {
      throw failure("cannot resume subscription " + subscription + " on " + target, e);
    }
  }

  private static void requireSubscription(Connection t, String subscription, PgEndpoint target, String doing)
      throws SQLException {
    if (!PgReplication.subscriptionExists(t, subscription)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "cannot " + doing + " the change stream: subscription " + subscription + " does not exist on "
              + target + "; the stream is attached after the bulk copy (or was removed by reset or undo)");
    }
  }


}
