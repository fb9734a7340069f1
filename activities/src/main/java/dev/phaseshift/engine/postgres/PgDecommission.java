package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.MigrationPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once the retention window is over, or after a rollback: stops reverse replication, drops every
 * replication object and (unless the migration rolled back) the bookkeeping on both sides, and
 * first dumps the old database when the plan asks.
 */
final class PgDecommission {
  private static final Logger log = LoggerFactory.getLogger(PgDecommission.class);

  private final FinalDump finalDump;

  PgDecommission(PgTools tools) {
    this.finalDump = new FinalDump(tools);
  }

  void decommission(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      // The old source stays read-only for new sessions, and after a rollback the target does;
      // this session needs to drop objects on both.
      WriteFreeze.allowOwnWrites(s);
      WriteFreeze.allowOwnWrites(t);
      if (plan.finalDumpDirectory() != null && !plan.finalDumpDirectory().isBlank()) {
        finalDump.write(plan, s);
      }
      s.run("dropping the reverse subscription",
          c -> PgReplication.dropSubscription(c, PgNames.reverseSubscription(plan)));
      t.run("dropping the reverse replication slot", c -> PgReplication.dropSlot(c, PgNames.reverseSlot(plan)));
      t.run("dropping the reverse publication",
          c -> PgReplication.dropPublication(c, PgNames.reversePublication(plan), PgLockBound.of(plan)));
      t.run("dropping the subscription", c -> PgReplication.dropSubscription(c, PgNames.subscription(plan)));
      s.run("dropping the replication slot", c -> PgReplication.dropSlot(c, PgNames.slot(plan)));
      s.run("dropping the publication",
          c -> PgReplication.dropPublication(c, PgNames.publication(plan), PgLockBound.of(plan)));
      s.run("dropping the freeze marker table", FreezeMarker::dropFromSource);
      CutoverRecords.RolledBack back = CutoverRecords.rolledBack(t, plan);
      if (back != null && back.completed()) {
        // The retired target keeps the records that say its tables are a stale copy of the source:
        // the next migration to it replaces them on that word (RolledBackCopy).
        log.info("decommissioned rolled-back migration {}: replication objects dropped on both sides; the target"
            + " stays read-only and keeps the switchover and rollback records", plan.name());
        return;
      }
      dropBookkeeping(t);
      log.info("decommissioned migration {}: replication objects and bookkeeping dropped on both sides",
          plan.name());
    }
  }

  /** The migration's own schema on the target goes with everything in it. */
  static void dropBookkeeping(PgSession t) {
    t.exec("dropping the bookkeeping schema",
        "DROP SCHEMA IF EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA) + " CASCADE");
  }
}
