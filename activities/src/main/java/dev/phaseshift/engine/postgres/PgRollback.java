package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.RollbackResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes go back to the source: the switchover's move in the other direction, over the reverse
 * stream that keeps the old source current after the switchover.
 */
final class PgRollback {
  private static final Logger log = LoggerFactory.getLogger(PgRollback.class);

  private PgRollback() {}

  static RollbackResult rollback(MigrationPlan plan) {
    String slot = PgNames.reverseSlot(plan);
    String subscription = PgNames.reverseSubscription(plan);
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      WriteFreeze.allowOwnWrites(t);
      WriteFreeze.allowOwnWrites(s);
      CutoverRecords.RolledBack record = CutoverRecords.rolledBack(t, plan);
      if (record != null && record.completed()) return record.result();
      if (record != null) {
        // An earlier attempt froze and drained the target and recorded it, but did not finish
        // handing writes to the source; the remaining steps are idempotent.
        // The pause is measured across workers here, so by the wall clock.
        return finish(s, t, plan, record, () -> Math.max(1, System.currentTimeMillis() - record.frozenAtEpochMillis()));
      }
      if (CutoverRecords.switched(t, plan) == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; writes are still on the"
                + " source, there is nothing to roll back");
      }
      requireReverseStream(s, t, plan);
      checkReverseLagBeforeFreeze(t, plan, slot);
      List<TableInfo> tables = t.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<PgInventory.Seq> sequences = t.call("listing sequences",
          c -> PgInventory.sequences(c, tables));

      // Before the freeze: the first use of a target in a worker runs its schema migrations.
      t.run("preparing the bookkeeping schema", c -> PgBookkeepingSchema.ensure(t.endpoint(), c));
      Optional<FreezeMarker> marker = FreezeMarker.find(t, s, PgNames.reversePublication(plan), subscription,
          plan.name());
      WriteMove move = new WriteMove(WriteMove.Direction.ROLLBACK, t, s, slot, subscription,
          plan.cutover().maxFreeze(), () -> {}, marker);
      // In autocommit the insert is its own commit: if it was sent, the outcome is unknown and the
      // target stays read-only; a retry either finds the record and finishes, or starts over.
      WriteMove.Drained drained = move.run(tables, sequences, d -> {}, (d, sending) -> {
        // The stream carries neither large objects nor unlogged tables back: copied while frozen.
        PgUnstreamed.insideFreeze(t, s, tables);
        t.run("recording the rollback", c -> {
          sending.run();
          CutoverRecords.recordRollback(c, plan, recordOf(d));
        });
        return d;
      });
      return finish(s, t, plan, recordOf(drained), drained::freezeMillis);
    }
  }

  private static CutoverRecords.RolledBack recordOf(WriteMove.Drained d) {
    return new CutoverRecords.RolledBack(d.finalPosition(), d.sequencesCopied(), d.frozenAtEpochMillis(), null);
  }

  /**
   * The target is frozen and the source has every change: stops the reverse stream and lets the
   * source take writes. Stopping the stream and lifting the freeze commit together on the source.
   */
  private static RollbackResult finish(PgSession s, PgSession t, MigrationPlan plan, CutoverRecords.RolledBack record,
      LongSupplier pauseMillis) {
    String subscription = PgNames.reverseSubscription(plan);
    String releasedAt = s.inTransaction("handing writes back to the source", c -> {
      if (PgReplication.subscriptionExists(c, subscription)) {
        Sql.exec(c, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
      }
      WriteFreeze.lift(c, s.endpoint());
      return Sql.one(c, "SELECT clock_timestamp()::text", rs -> rs.getString(1));
    });
    long pause = pauseMillis.getAsLong();
    PgSubscriptionAuth.forgetPassword(s.connection(), plan, subscription, t.endpoint());
    // Sessions opened on the source while it was read-only keep that default for their lifetime
    // (a pooler's server connections, an application's pool); ended, they reconnect writable.
    // They could not write, so ending them loses nothing but the reads in flight. Sessions opened
    // after the release are writable already and are left alone.
    int ended = s.query("ending read-only sessions",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            + " AND backend_start < ?::timestamptz", rs -> rs.getBoolean(1), releasedAt)
        .stream().filter(Boolean::booleanValue).toList().size();
    CutoverRecords.completeRollback(t, plan, pause);
    RollbackResult result = new RollbackResult(pause, PgLsn.position(record.finalLsn()), record.sequencesCopied());
    log.info("rolled back {}: writes are on {} again after {} ms ({} read-only sessions ended there);"
        + " {} stays read-only", plan.name(), s, pause, ended, t);
    return result;
  }

  private static void requireReverseStream(PgSession s, PgSession t, MigrationPlan plan) {
    String slot = PgNames.reverseSlot(plan);
    String subscription = PgNames.reverseSubscription(plan);
    if (!t.call("looking for the reverse slot", c -> PgReplication.slotExists(c, slot))) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the reverse replication slot " + slot + " does not exist on the target, so the source does not have"
              + " the target's writes; rolling back now would lose them; nothing was frozen");
    }
    Boolean enabled = s.one("reading the reverse subscription",
        "SELECT subenabled FROM pg_subscription WHERE subname = ?", rs -> rs.getBoolean(1), subscription);
    if (!Boolean.TRUE.equals(enabled)) {
      throw new MigrationException(FailureTypes.PREREQUISITE,
          "the reverse subscription " + subscription + " on the " + s + (enabled == null ? " does not exist"
              : " is disabled") + ", so the source is not receiving the target's writes; start reverse"
              + " replication first; nothing was frozen");
    }
  }

  private static void checkReverseLagBeforeFreeze(PgSession t, MigrationPlan plan, String slot) {
    Lag lag = t.call("measuring reverse lag", c -> PgReplication.lag(c, slot));
    Long max = plan.cutover().maxLagBytes();
    if (max != null && lag.bytes() > max) {
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          "reverse replication lag is " + lag.bytes() + " bytes, above cutover.maxLagBytes " + max + "; writes"
              + " were not frozen; wait for the source to catch up (or raise the limit) and roll back again");
    }
  }
}
