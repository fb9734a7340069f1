package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.ObjectCheck;
import dev.phaseshift.model.UnstreamedWork;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the change stream does not carry, brought over at the three points a migration needs it:
 * after the bulk copy (materialized views refreshed, large objects copied), right before the
 * freeze (the same again, so the freeze itself has little left to do) and inside the freeze
 * (large objects and unlogged tables copied and compared, a difference fails the move before
 * writes are handed over). Validation compares the same objects.
 */
final class PgUnstreamed {
  private static final Logger log = LoggerFactory.getLogger(PgUnstreamed.class);

  /** Time spent on each part of a pass, in milliseconds. */
  record Timing(long matviewMillis, long largeObjectMillis, long unloggedMillis) {
    long total() {
      return matviewMillis + largeObjectMillis + unloggedMillis;
    }
  }

  private PgUnstreamed() {}

  /** After the bulk copy and before the freeze: the target's materialized views refreshed, its large objects current. */
  static Timing bringCurrent(PgSession source, PgSession target, MigrationPlan plan) {
    List<PgMatviews.View> views = source.call("listing materialized views", c -> PgMatviews.of(c, plan));
    long refresh = PgMatviews.refresh(target, views);
    long objects = PgLargeObjects.sync(source, target).millis();
    return new Timing(refresh, objects, 0);
  }

  /**
   * Inside the freeze, once the frozen side takes no new writes: its large objects and unlogged
   * tables copied to the side taking writes, then compared; a difference throws, so the move is
   * called off and writes are released.
   */
  static Timing insideFreeze(PgSession from, PgSession to, List<TableInfo> tables) {
    long started = System.nanoTime();
    List<ObjectCheck> checks = new ArrayList<>();
    checks.add(PgLargeObjects.syncAndCompare(from, to));
    long objects = System.nanoTime();
    List<TableInfo> unlogged = PgUnloggedTables.of(tables);
    PgUnloggedTables.copy(from, to, unlogged);
    long copied = System.nanoTime();
    checks.addAll(PgUnloggedTables.compare(from, to, unlogged, "copied inside the freeze"));
    List<ObjectCheck> differing = checks.stream().filter(c -> !c.match()).toList();
    if (!differing.isEmpty()) {
      throw new MigrationException(FailureTypes.VALIDATION_FAILED, "after copying them inside the freeze, "
          + differing.stream().map(c -> c.kind() + " " + c.name() + " (" + c.source() + " on " + from.endpoint().role()
              + ", " + c.target() + " on " + to.endpoint().role() + ")").collect(Collectors.joining("; "))
          + " still differ; writes were released, nothing was lost");
    }
    Timing timing = new Timing(0, (objects - started) / 1_000_000, (System.nanoTime() - objects) / 1_000_000);
    log.info("inside the freeze: large objects {} ms, {} unlogged table(s) copied in {} ms and compared in {} ms",
        timing.largeObjectMillis(), unlogged.size(), (copied - objects) / 1_000_000,
        (System.nanoTime() - copied) / 1_000_000);
    return timing;
  }

  /** Whether the side's database was made read-only for good by a switchover or rollback. */
  private static boolean retired(PgSession side) {
    return Boolean.TRUE.equals(side.one("reading the database's settings", "SELECT coalesce((SELECT setconfig"
        + " FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase ="
        + " (SELECT oid FROM pg_database WHERE datname = current_database())), '{}')"
        + " @> '{default_transaction_read_only=on}'", rs -> rs.getBoolean(1)));
  }

  /**
   * Validation's part: materialized views and large objects brought current (unless the target is
   * retired) and compared, unlogged tables described.
   * Unlogged tables cannot be current before the freeze (nothing streams them), so here a
   * difference is reported but not counted; inside the freeze they are copied and a difference
   * there does stop the switchover.
   */
  /** The checks, and what bringing the objects current cost (none when the target is retired). */
  record Compared(List<ObjectCheck> checks, UnstreamedWork work) {}

  static Compared compare(PgSession source, PgSession target, MigrationPlan plan, List<TableInfo> tables) {
    // Before the switchover the target takes no application traffic: what the switchover would
    // bring current is brought current first, so the comparison shows what the application would
    // find. A retired side (after a switchover or rollback) is only read.
    boolean retired = retired(target);
    Timing timing = retired ? null : bringCurrent(source, target, plan);
    List<PgMatviews.View> views = source.call("listing materialized views", c -> PgMatviews.of(c, plan));
    List<ObjectCheck> checks = new ArrayList<>();
    for (ObjectCheck c : PgMatviews.compare(source, target, views)) {
      // What refreshing costs, for the switchover's preparation (outside the freeze).
      checks.add(timing == null || !c.note().isEmpty() ? c : new ObjectCheck(c.kind(), c.name(), c.source(),
          c.target(), c.match(), "all materialized views refreshed on the target in " + timing.matviewMillis()
              + " ms; the switchover refreshes them again before the freeze"));
    }
    long started = System.nanoTime();
    ObjectCheck objects = PgLargeObjects.compare(source, target);
    // Each pass before and inside the freeze reads them the same way, then copies what differs.
    checks.add(new ObjectCheck(objects.kind(), objects.name(), objects.source(), objects.target(), objects.match(),
        objects.note() + "; read on both sides in " + (System.nanoTime() - started) / 1_000_000 + " ms, which the"
            + " write freeze spends on them again"));
    long largeObjectsRead = (System.nanoTime() - started) / 1_000_000;
    long unloggedStarted = System.nanoTime();
    List<ObjectCheck> unlogged = PgUnloggedTables.compare(source, target, PgUnloggedTables.of(tables), "");
    long unloggedRead = (System.nanoTime() - unloggedStarted) / 1_000_000;
    for (ObjectCheck c : unlogged) {
      checks.add(new ObjectCheck(c.kind(), c.name(), c.source(), c.target(), true, c.match()
          ? "equal now; copied again in full and compared inside the switchover's freeze"
          : "written since the copy (unlogged tables are not streamed); copied again in full and compared"
              + " inside the switchover's freeze, where a difference stops the switchover"));
    }
    if (!retired) {
      // Inside the freeze: large objects synced (this pass's sync) and read again to compare; unlogged
      // tables copied (about a read on both sides) and compared (another).
      return new Compared(checks, new UnstreamedWork(timing.matviewMillis(),
          timing.largeObjectMillis() + largeObjectsRead + 2 * unloggedRead));
    }
    // The retired side (a drift check after the switchover) is not kept current for these: a
    // rollback copies them inside its freeze. A difference there is expected, not drift.
    return new Compared(checks.stream().map(c -> c.match() ? c : new ObjectCheck(c.kind(), c.name(), c.source(), c.target(), true,
        "not kept current on the retired " + target.endpoint().role() + " (no stream carries it); a rollback copies"
            + " large objects and unlogged tables back inside its freeze, a materialized view there needs a REFRESH"
            + " after it")).toList(), null);
  }
}
