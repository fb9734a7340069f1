package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse stream that keeps the old source current after the switchover, so a rollback loses
 * nothing: a publication on the target made before the switchover's freeze, a slot created inside
 * it, and a subscription on the source attached to that slot afterwards.
 */
final class PgReverseReplication {
  private static final Logger log = LoggerFactory.getLogger(PgReverseReplication.class);

  private PgReverseReplication() {}

  static void start(MigrationPlan plan) {
    if (!Boolean.TRUE.equals(plan.reverseReplication())) {
      log.info("plan {} keeps no reverse replication; the old source is not kept current", plan.name());
      return;
    }
    String subscription = PgNames.reverseSubscription(plan);
    String slot = PgNames.reverseSlot(plan);
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      if (CutoverRecords.switched(t, plan) == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; reverse replication"
                + " starts after the switchover");
      }
      if (CutoverRecords.rolledBack(t, plan) != null) {
        // Writes went back to the source; streaming the frozen target into it would have nothing
        // to carry, and the subscription was stopped on purpose.
        log.info("migration {} was rolled back; reverse replication stays stopped", plan.name());
        return;
      }
      if (!t.call("looking for the reverse slot", c -> PgReplication.slotExists(c, slot))) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the reverse replication slot " + slot + " does not exist on the target: the switchover ran without"
                + " reverse replication (or the slot was dropped), so the source cannot be brought up to date"
                + " without a gap; a rollback would lose the target's writes");
      }
      WriteFreeze.allowOwnWrites(s);
      if (s.call("looking for the reverse subscription", c -> PgReplication.subscriptionExists(c, subscription))) {
        s.exec("enabling the reverse subscription", "ALTER SUBSCRIPTION " + Sql.ident(subscription) + " ENABLE");
        return;
      }
      // The apply worker inherits the database's default_transaction_read_only = on (its
      // transactions report transaction_read_only = on), yet it applies rows: it writes through
      // the executor's low-level routines, which do not check for read-only transactions; only the
      // statement paths do. So the freeze keeps stopping application sessions while the stream
      // applies, and no override is needed. An override (ALTER ROLE <owner> IN DATABASE <db> SET
      // default_transaction_read_only = off) would be worse: when the application connects as the
      // same role, it would lift the source's freeze for it too and let it write on both sides.
      // What the read-only transaction does stop is SQL run by triggers that fire on replicated
      // rows (ENABLE ALWAYS / ENABLE REPLICA); if such a trigger writes, the stream stalls, and a
      // rollback then stops at maxFreeze with the target's writes released. Hence the warning.
      warnAboutReplicaTriggers(s, plan);
      PgReplication.subscribe(s.connection(), s.endpoint(), "the reverse subscription", subscription, t.endpoint(),
          PgNames.reversePublication(plan), slot, plan, false);
      log.info("reverse subscription {} on {} streams slot {} from {}", subscription, s, slot, t);
    }
  }

  /**
   * Makes the reverse publication on the target, before the freeze: it only names tables, and the
   * slot created inside the freeze decodes nothing before its own start, so making it early loses
   * nothing and takes listing the tables out of the freeze. pgoutput looks the publication up as
   * of each change it decodes, so it must exist before the slot's first change, which it does.
   * A slot left by an earlier attempt goes here too (see {@link #prepareSlot}).
   *
   * @param withMarker whether the source has the freeze marker table, so a rollback's freeze can
   *     use it ({@link FreezeMarker}); the reverse subscription fails on a table the source lacks
   */
  static void preparePublication(Connection t, MigrationPlan plan, boolean withMarker) throws SQLException {
    PgPublication.ensure(t, plan, PgNames.reversePublication(plan), withMarker);
    PgReplication.dropSlot(t, PgNames.reverseSlot(plan));
  }

  /**
   * Creates the reverse slot on the target, inside the freeze: the forward stream has drained, so
   * every row the target holds is on the source too, and the target has not taken an application
   * write yet. The slot's stream therefore starts exactly where the source's copy ends. Its
   * publication exists already ({@link #preparePublication}).
   *
   * <p>A slot left by an earlier attempt is dropped and made again rather than reused: that attempt
   * did not commit the switchover, so the source took writes again and the forward stream applied
   * them on the target after that slot's start; streaming them back would apply them twice.
   * Creating it before the freeze would hit the same problem with every write the forward stream
   * applies until the freeze (a reverse subscription with {@code origin = none} would skip those,
   * but needs PostgreSQL 16+ on both sides).
   */
  static void prepareSlot(Connection t, MigrationPlan plan, long remainingNanos) throws SQLException {
    String slot = PgNames.reverseSlot(plan);
    PgReplication.dropSlot(t, slot);
    // Creating a logical slot waits for transactions running on the target to end; a forgotten
    // one must not hold the source's freeze beyond maxFreeze.
    long millis = Math.max(1, remainingNanos / 1_000_000);
    try {
      Sql.inTransaction(t, () -> {
        Sql.exec(t, "SET LOCAL statement_timeout = " + millis);
        return Sql.one(t, "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')",
            rs -> rs.getString(1), slot);
      });
    } catch (SQLException e) {
      if ("57014".equals(e.getSQLState())) {
        throw new MigrationException(FailureTypes.LAG_NOT_DRAINED,
            "creating the reverse replication slot " + slot + " on the target did not finish within "
                + plan.cutover().maxFreeze() + " (a transaction open on the target holds it back); writes were"
                + " released on the source, nothing was lost; end long transactions on the target and switch"
                + " over again", e);
      }
      throw e;
    }
  }

  private static void warnAboutReplicaTriggers(PgSession s, MigrationPlan plan) {
    List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
    List<String> triggers = new ArrayList<>();
    for (TableInfo table : tables) {
      triggers.addAll(s.query("listing triggers of " + table.qualifiedName(),
          "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal AND tgenabled IN ('A', 'R')",
          rs -> table.qualifiedName() + "." + rs.getString(1), PgInventory.quoted(table)));
    }
    if (!triggers.isEmpty()) {
      log.warn("triggers {} on {} fire for replicated rows; they run in read-only transactions there while the"
          + " source is frozen, so one that writes stops reverse replication (and with it a rollback)",
          triggers, s);
    }
  }
}
