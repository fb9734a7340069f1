package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.VerificationProbe;
import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.StatementLatency;
import dev.phaseshift.model.StatementTime;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.plan.DurationText;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.plan.VerificationPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The verification window's reads on PostgreSQL: {@code pg_stat_database}, {@code pg_stat_activity},
 * {@code pg_stat_user_tables}, {@code pg_replication_slots} and, where loaded on both sides,
 * {@code pg_stat_statements}. Failed logins are not in any statistics view (they reach the server
 * log only, with log_connections on), so they are not read.
 */
final class PgVerificationProbe implements VerificationProbe {
  @Override
  public DatabaseCounters sourceCounters(MigrationPlan plan) {
    try (PgSession s = PgSession.open(PgEndpoint.source(plan))) {
      return s.call("reading the source's statistics", c -> PgCounters.read(c, null));
    }
  }

  /** The longest the baseline waits for its interval to reach one sample interval. */
  private static final long MAX_BASELINE_WAIT_MILLIS = 60_000;

  @Override
  public VerificationBaseline baseline(MigrationPlan plan, DatabaseCounters start) {
    DatabaseCounters now = sourceCounters(plan);
    // A switchover that waited for nothing comes here a moment after the first reading; rates over
    // a moment say little, so the baseline covers at least one sample interval (bounded).
    VerificationPolicy policy = plan.verificationOrDefault();
    long wanted = Math.min(Math.min(MAX_BASELINE_WAIT_MILLIS, policy.sampleDuration().toMillis()),
        Math.min(policy.windowDuration().toMillis(), DurationText.parse(plan.retention()).toMillis()));
    long elapsed = now.atMillis() - start.atMillis();
    if (elapsed < wanted) {
      Polling.sleep(wanted - elapsed);
      now = sourceCounters(plan);
    }
    CounterRates rates = CounterRates.between(start, now);
    // Each top statement's mean over the baseline's interval when it ran often enough in it, else
    // its mean since pg_stat_statements was last reset.
    Map<String, StatementTime> before = byQuery(start.statements());
    List<StatementTime> top = new ArrayList<>();
    for (StatementTime st : now.statements()) {
      StatementTime earlier = before.get(st.query());
      long calls = earlier == null ? 0 : st.calls() - earlier.calls();
      top.add(calls >= 10 ? new StatementTime(st.query(), calls, st.totalMillis() - earlier.totalMillis()) : st);
    }
    return new VerificationBaseline(rates.seconds(), rates.transactions(), rates.rollbackShare(),
        rates.deadlocksPerMinute(), rates.failedSessionsPerMinute(), now.clientBackends(), top);
  }

  @Override
  public VerificationSample sample(MigrationPlan plan, VerificationBaseline baseline, VerificationReading previous) {
    List<String> queries = baseline.topStatements().stream().map(StatementTime::query).toList();
    try (PgSessionPair sides = PgSessionPair.open(plan)) {
      PgSession s = sides.source();
      PgSession t = sides.target();
      DatabaseCounters target = t.call("reading the new primary's statistics", c -> PgCounters.read(c, queries));
      DatabaseCounters source = s.call("reading the old database's statistics", c -> PgCounters.read(c, List.of()));
      VerificationReading reading = new VerificationReading(target, source);
      PgReverseStream.State reverse = Boolean.TRUE.equals(plan.reverseReplication())
          ? t.call("reading the reverse stream", c -> PgReverseStream.state(c, PgNames.reverseSlot(plan))) : null;
      PgStaleClients.Seen stale = s.call("listing clients on the old database", PgStaleClients::seen);
      if (previous == null) {
        return new VerificationSample(reading, 0, 0, 0, 0, null, target.clientBackends(), List.of(),
            reverse == null ? null : reverse.active(), reverse == null ? null : reverse.lagBytes(),
            stale.described(), stale.count(), stale.writers(), 0);
      }
      DatabaseCounters before = previous.target();
      CounterRates rates = CounterRates.between(before, target);
      return new VerificationSample(reading, rates.seconds(), rates.transactions(), rates.rollbackShare(),
          rates.deadlocksPerMinute(), rates.failedSessionsPerMinute(), target.clientBackends(),
          latencies(baseline, before, target), reverse == null ? null : reverse.active(),
          reverse == null ? null : reverse.lagBytes(), stale.described(), stale.count(), stale.writers(),
          Math.max(0, source.rollbacks() - previous.source().rollbacks()));
    }
  }

  /** Each baseline statement's mean on the new primary over the sample, from the change in its counters. */
  private static List<StatementLatency> latencies(VerificationBaseline baseline, DatabaseCounters before,
      DatabaseCounters now) {
    Map<String, StatementTime> earlier = byQuery(before.statements());
    Map<String, StatementTime> current = byQuery(now.statements());
    List<StatementLatency> out = new ArrayList<>();
    for (StatementTime src : baseline.topStatements()) {
      StatementTime cur = current.get(src.query());
      if (cur == null) continue;
      StatementTime prev = earlier.get(src.query());
      long calls = cur.calls() - (prev == null ? 0 : prev.calls());
      double total = cur.totalMillis() - (prev == null ? 0 : prev.totalMillis());
      if (calls <= 0) continue;
      out.add(new StatementLatency(src.query(), src.meanMillis(), total / calls, calls));
    }
    return out;
  }

  private static Map<String, StatementTime> byQuery(List<StatementTime> statements) {
    return statements.stream().collect(Collectors.toMap(StatementTime::query, Function.identity(), (a, b) -> a));
  }
}
