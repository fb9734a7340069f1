package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.SlowerStatement;
import dev.phaseshift.model.StatementTime;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Statements slower on the new primary than on the source, by pg_stat_statements on both sides
 * (matched by their normalized text), the worst few with both generic plans side by side.
 */
final class PgSlowerStatements {
  /** Slower by this factor, and by {@link #MIN_INCREASE_MILLIS}, to be listed. */
  static final double MIN_RATIO = 1.5;
  static final double MIN_INCREASE_MILLIS = 1.0;
  /** Calls on the new primary before its mean counts. */
  static final long MIN_CALLS = 10;
  /** Statements listed with their plans. */
  static final int EXPLAINED = 3;

  private PgSlowerStatements() {}

  /** The slower statements, or null when pg_stat_statements cannot be read on both sides. */
  static List<SlowerStatement> find(PgSession s, PgSession t) {
    String sourceView = s.call("looking for statement statistics", PgCounters::statementsView);
    String targetView = t.call("looking for statement statistics", PgCounters::statementsView);
    if (sourceView == null || targetView == null) return null;
    List<StatementTime> top = s.call("reading statement statistics", c -> PgCounters.statements(c, sourceView, null));
    Map<String, StatementTime> onTarget = t.call("reading statement statistics",
        c -> PgCounters.statements(c, targetView, top.stream().map(StatementTime::query).toList())).stream()
        .collect(Collectors.toMap(StatementTime::query, Function.identity(), (a, b) -> a));
    List<SlowerStatement> slower = new ArrayList<>();
    for (StatementTime src : top) {
      StatementTime tgt = onTarget.get(src.query());
      if (tgt == null || tgt.calls() < MIN_CALLS || src.calls() == 0) continue;
      if (tgt.meanMillis() >= src.meanMillis() * MIN_RATIO && tgt.meanMillis() - src.meanMillis() >= MIN_INCREASE_MILLIS) {
        slower.add(new SlowerStatement(src.query(), src.meanMillis(), tgt.meanMillis(), tgt.calls(), null, null, null));
      }
    }
    slower.sort(Comparator.comparingDouble(SlowerStatement::ratio).reversed());
    List<SlowerStatement> out = new ArrayList<>();
    for (SlowerStatement st : slower.subList(0, Math.min(EXPLAINED, slower.size()))) {
      out.add(withPlans(s, t, st));
    }
    return out;
  }

  private static SlowerStatement withPlans(PgSession s, PgSession t, SlowerStatement st) {
    try {
      String sourcePlan = PgGenericPlan.of(s.connection(), st.query());
      String targetPlan = PgGenericPlan.of(t.connection(), st.query());
      return new SlowerStatement(st.query(), st.sourceMeanMillis(), st.targetMeanMillis(), st.targetCalls(),
          sourcePlan, targetPlan, "generic plans (parameters unknown), EXPLAIN without ANALYZE: nothing was run");
    } catch (SQLException e) {
      return new SlowerStatement(st.query(), st.sourceMeanMillis(), st.targetMeanMillis(), st.targetCalls(), null,
          null, "no plan: the statement could not be prepared without its parameters (" + e.getMessage() + ")");
    }
  }
}
