package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the switchover's result: the target takes writes, nobody wrote to the old source since,
 * and every sequence on the target is at least where it was on the source.
 */
final class PgVerify {
  /** PostgreSQL flushes a backend's table statistics at most about once a second. */
  private static final long STATS_FLUSH_MILLIS = 1_500;
  private static final String VERIFY_TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, "verify_write");

  private PgVerify() {}

  static VerifyResult verify(MigrationPlan plan) {
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      CutoverRecords.Switched recorded = CutoverRecords.switched(t, plan);
      if (recorded == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "no switchover is recorded for migration " + plan.name() + " on the target; run the switchover first");
      }
      boolean targetWritable = targetTakesWrites(t);
      List<TableInfo> tables = s.call("listing tables", c -> PgInventory.selectedTables(c, plan));
      Polling.sleep(STATS_FLUSH_MILLIS);
      long now = s.call("reading table statistics", c -> SourceWrites.count(c, tables));
      // A statistics reset on the source makes the counters smaller; that is not a write.
      long writesAfter = Math.max(0, now - recorded.sourceWrites());

      List<SequenceValue> sequences = new ArrayList<>();
      boolean sequencesAhead = true;
      for (PgInventory.Seq seq : s.call("listing sequences",
          c -> PgInventory.sequences(c, tables))) {
        Long src = s.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq));
        Long tgt = t.call("reading " + seq.display(), c -> PgInventory.lastValue(c, seq));
        sequences.add(new SequenceValue(seq.display(), src, tgt));
        if (src != null && (tgt == null || tgt < src)) sequencesAhead = false;
      }
      return new VerifyResult(targetWritable, writesAfter, sequences,
          targetWritable && writesAfter == 0 && sequencesAhead);
    }
  }

  private static boolean targetTakesWrites(PgSession t) {
    try {
      PgBookkeepingSchema.ensure(t.endpoint(), t.connection());
      Sql.exec(t.connection(), "INSERT INTO " + VERIFY_TABLE + " DEFAULT VALUES");
      return true;
    } catch (SQLException e) {
      // 25006: read-only transaction; the target refuses writes, which is what verify reports.
      if ("25006".equals(e.getSQLState())) return false;
      throw PgSession.failure("writing a test row", t.endpoint(), e);
    }
  }
}
