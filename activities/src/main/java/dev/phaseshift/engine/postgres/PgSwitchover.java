package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves writes from the source to the target. Writes to the migrated tables are frozen by a
 * session's locks that end with the worker (see {@link WriteMove}) and every existing application
 * session is ended; once the target has applied the last change, sequences follow, the source
 * database is made read-only for new sessions, the subscription stops, and the target is the
 * primary.
 */
final class PgSwitchover {
  private static final Logger log = LoggerFactory.getLogger(PgSwitchover.class);

  private PgSwitchover() {}

  static SwitchoverResult switchover(MigrationPlan plan, Runnable beforeFreeze) {
    String slot = PgNames.slot(plan);
    String subscription = PgNames.subscription(plan);
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      CutoverRecords.Switched recorded = CutoverRecords.switched(t, plan);
      // Done before: the record and the subscription's stop commit together, so the target is
      // already the primary and freezing the source again would gain nothing.
      if (recorded != null) return forgetPassword(t, plan, recorded.result());
      PgPrimaryCheck.confirm(s, plan);

      WriteFreeze.allowOwnWrites(s);
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      List<PgInventory.Seq> sequences = s.call("listing sequences",
          c -> PgInventory.sequences(c, tables));
      checkLagBeforeFreeze(s, plan, slot);
      // Before the freeze: the first use of a target in a worker runs its schema migrations.
      t.run("preparing the bookkeeping schema", c -> PgBookkeepingSchema.ensure(t.endpoint(), c));

      // Materialized views refreshed and large objects copied before anything is held, so the
      // freeze only copies what changed since; how long it took goes to the log with the freeze.
      PgUnstreamed.Timing prepared = PgUnstreamed.bringCurrent(s, t, plan);
      Optional<FreezeMarker> marker = FreezeMarker.find(s, t, PgNames.publication(plan), subscription, plan.name());
      if (Boolean.TRUE.equals(plan.reverseReplication())) {
        // The source has the marker table when its publication carries it, so the rollback can use it too.
        t.run("preparing the reverse publication",
            c -> PgReverseReplication.preparePublication(c, plan, marker.isPresent()));
      }
      beforeFreeze.run();
      PgUnstreamed.Timing[] frozenWork = new PgUnstreamed.Timing[1];
      // When statistics were read and the reverse slot created, for the log.
      long[] steps = new long[2];
      long[] sourceWrites = {0};
      WriteMove move = new WriteMove(WriteMove.Direction.SWITCHOVER, s, t, slot, subscription,
          plan.cutover().maxFreeze(), () -> dropReverseSlotQuietly(t, plan), marker);
      return forgetPassword(t, plan, move.run(tables, sequences, drained -> {
        sourceWrites[0] = s.call("reading table statistics", c -> SourceWrites.count(c, tables));
        steps[0] = System.nanoTime();
        if (Boolean.TRUE.equals(plan.reverseReplication())) {
          long remaining = drained.deadlineNanos() - System.nanoTime();
          t.run("creating the reverse slot", c -> PgReverseReplication.prepareSlot(c, plan, remaining));
        }
        steps[1] = System.nanoTime();
      }, (drained, sending) -> {
        // The source is read-only for good by now, so nothing writes a large object meanwhile.
        frozenWork[0] = PgUnstreamed.insideFreeze(s, t, tables);
        if (System.nanoTime() > drained.deadlineNanos()) {
          throw new MigrationException(FailureTypes.LAG_NOT_DRAINED, "copying large objects and unlogged tables"
              + " inside the freeze took " + (frozenWork[0].largeObjectMillis() + frozenWork[0].unloggedMillis())
              + " ms and the freeze passed cutover.maxFreeze " + plan.cutover().maxFreeze() + "; writes were"
              + " released on the source, nothing was lost; raise cutover.maxFreeze, or make the unlogged tables"
              + " logged, then switch over again");
        }
        // The record and the subscription's stop commit in one transaction: a retry either finds
        // both (and returns the record) or neither (and freezes and drains again, quickly).
        SwitchoverResult r = t.inTransaction("handing writes to the target", c -> {
          Sql.exec(c, "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " DISABLE");
          SwitchoverResult result = new SwitchoverResult(drained.freezeMillis(), PgLsn.position(drained.finalPosition()),
              drained.sequencesCopied(), drained.sessionsEnded());
          CutoverRecords.recordSwitchover(c, plan, result, sourceWrites[0]);
          sending.run();
          return result;
        });
        log.info("switched over {}: writes frozen {} ms (ending sessions {} ms, draining {} ms, sequences"
                + " and statistics {} ms, reverse slot {} ms, hand-over {} ms, of which large objects {} ms and"
                + " unlogged tables {} ms); before the freeze: materialized views {} ms, large objects {} ms",
            plan.name(), r.writeFreezeMillis(),
            millis(drained.frozenAtNanos(), drained.sessionsEndedAtNanos()),
            millis(drained.sessionsEndedAtNanos(), drained.drainedAtNanos()),
            millis(drained.drainedAtNanos(), steps[0]), millis(steps[0], steps[1]),
            millis(steps[1], System.nanoTime()), frozenWork[0].largeObjectMillis(), frozenWork[0].unloggedMillis(),
            prepared.matviewMillis(), prepared.largeObjectMillis());
        return r;
      }));
    }
  }

  /** The forward subscription stopped for good at the hand-over: it needs no stored password any more. */
  private static SwitchoverResult forgetPassword(PgSession t, MigrationPlan plan, SwitchoverResult result) {
    PgSubscriptionAuth.forgetPassword(t.connection(), plan, PgNames.subscription(plan), PgEndpoint.source(plan));
    return result;
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  private static void checkLagBeforeFreeze(PgSession s, MigrationPlan plan, String slot) {
    Lag lag;
    try {
      lag = PgReplication.lag(s.connection(), slot);
    } catch (SQLException e) {
      if (e.getSQLState() == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE, e.getMessage()
            + "; the target is not receiving changes, so switching over would lose writes; start the change"
            + " stream again first", e);
      }
      throw PgSession.failure("measuring lag", s.endpoint(), e);
    }
    Long max = plan.cutover().maxLagBytes();
    if (max != null && lag.bytes() > max) {
      throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
          "replication lag is " + lag.bytes() + " bytes, above cutover.maxLagBytes " + max + "; writes were not"
              + " frozen; wait for the target to catch up (or raise the limit) and switch over again");
    }
  }

  /**
   * After a failed switchover the reverse slot would only hold WAL on the target until the next
   * attempt replaces it; a failure here leaves that to the retry (or to undo).
   */
  private static void dropReverseSlotQuietly(PgSession t, MigrationPlan plan) {
    Connection c = t.connection();
    Sql.quietly(() -> PgReplication.dropSlot(c, PgNames.reverseSlot(plan)));
  }
}
