package dev.phaseshift.workflow;

import dev.phaseshift.model.StatementLatency;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.plan.VerificationPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Judges one sample of the verification window against the source's baseline and the plan's
 * conditions. Pure: the workflow and unit tests call it alike.
 */
final class VerificationJudge {
  /**
   * A statement must also be this much slower than on the source to fail a sample: a new server's
   * cold cache makes sub-millisecond statements a few times slower for a while, which no
   * application notices and no rollback should follow.
   */
  static final double MIN_LATENCY_INCREASE_MILLIS = 1.0;

  private VerificationJudge() {}

  /** The conditions the sample broke, each saying what was measured against what was allowed. */
  static List<String> failures(VerificationPolicy p, VerificationBaseline b, VerificationSample s) {
    List<String> failures = new ArrayList<>();
    if (s.transactions() > 0 && s.rollbackShare() - b.rollbackShare() > p.maxRollbackRateIncrease()) {
      failures.add(String.format(Locale.ROOT, "rollbacks: %.1f%% of transactions on the new primary, %.1f%% on the"
          + " source (allowed increase %.1f points)", 100 * s.rollbackShare(), 100 * b.rollbackShare(),
          100 * p.maxRollbackRateIncrease()));
    }
    if (s.deadlocksPerMinute() - b.deadlocksPerMinute() > p.maxDeadlockRateIncrease()) {
      failures.add(String.format(Locale.ROOT, "deadlocks: %.1f/min on the new primary, %.1f/min on the source"
          + " (allowed increase %.1f/min)", s.deadlocksPerMinute(), b.deadlocksPerMinute(), p.maxDeadlockRateIncrease()));
    }
    if (s.failedSessionsPerMinute() != null) {
      double before = b.failedSessionsPerMinute() == null ? 0 : b.failedSessionsPerMinute();
      if (s.failedSessionsPerMinute() - before > p.maxFailedSessionRateIncrease()) {
        failures.add(String.format(Locale.ROOT, "sessions ended by errors: %.1f/min on the new primary, %.1f/min on"
            + " the source (allowed increase %.1f/min)", s.failedSessionsPerMinute(), before,
            p.maxFailedSessionRateIncrease()));
      }
    }
    for (StatementLatency st : s.statements()) {
      if (st.calls() >= p.minCalls() && st.sourceMeanMillis() > 0 && st.ratio() > p.maxLatencyRatio()
          && st.meanMillis() - st.sourceMeanMillis() >= MIN_LATENCY_INCREASE_MILLIS) {
        failures.add(String.format(Locale.ROOT, "latency: %s takes %.3f ms on the new primary, %.3f ms on the source"
            + " (%.1fx, allowed %.1fx, %d calls)", st.query(), st.meanMillis(), st.sourceMeanMillis(), st.ratio(),
            p.maxLatencyRatio(), st.calls()));
      }
    }
    if (Boolean.FALSE.equals(s.reverseStreamActive())) {
      failures.add("reverse stream: not running, so a rollback would wait for it; see the old database's log");
    } else if (s.reverseLagBytes() != null && s.reverseLagBytes() > p.maxReverseLagBytes()) {
      failures.add("reverse stream: the old database is " + s.reverseLagBytes() + " bytes behind (allowed "
          + p.maxReverseLagBytes() + ")");
    }
    if (p.staleClientsFail()) failures.addAll(staleClients(s));
    return failures;
  }

  /** What the sample noticed without failing it: stale clients under {@code staleClients: warn}. */
  static List<String> warnings(VerificationPolicy p, VerificationSample s) {
    return p.staleClientsFail() ? List.of() : staleClients(s);
  }

  private static List<String> staleClients(VerificationSample s) {
    List<String> stale = new ArrayList<>();
    if (s.staleClientCount() > 0) {
      stale.add("stale clients: " + s.staleClientCount() + " session(s) still on the old database ("
          + String.join("; ", s.staleClients()) + "); point them at the new primary");
    }
    if (s.oldDatabaseWriters() > 0) {
      stale.add("stale clients: " + s.oldDatabaseWriters() + " session(s) writing to the old database (holding a"
          + " transaction id although it is read-only for new sessions)");
    }
    if (s.oldDatabaseRollbacks() > 0) {
      stale.add("stale clients: " + s.oldDatabaseRollbacks() + " transaction(s) rolled back on the old database"
          + " (its freeze refuses writes)");
    }
    return stale;
  }

  /** The sample's signals against the baseline, one line each, for status and the Web UI. */
  static List<String> signals(VerificationBaseline b, VerificationSample s) {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "transactions: %d in %.0fs, %.1f%% rolled back (source %.1f%%)",
        s.transactions(), s.seconds(), 100 * s.rollbackShare(), 100 * b.rollbackShare()));
    lines.add(String.format(Locale.ROOT, "deadlocks: %.1f/min (source %.1f/min)", s.deadlocksPerMinute(),
        b.deadlocksPerMinute()));
    lines.add(s.failedSessionsPerMinute() == null
        ? "sessions ended by errors: not counted before PostgreSQL 14; failed logins show only in the server log"
        : String.format(Locale.ROOT, "sessions ended by errors: %.1f/min (source %s); failed logins show only in"
            + " the server log", s.failedSessionsPerMinute(), b.failedSessionsPerMinute() == null ? "not counted"
            : String.format(Locale.ROOT, "%.1f/min", b.failedSessionsPerMinute())));
    lines.add("connections: " + s.clientBackends() + " on the new primary (source had " + b.clientBackends() + ")");
    if (b.topStatements().isEmpty()) {
      lines.add("latency: the source keeps no statement statistics; top statements not compared");
    }
    for (StatementLatency st : s.statements()) {
      lines.add(String.format(Locale.ROOT, "latency: %.3f ms (source %.3f ms, %d calls): %s", st.meanMillis(),
          st.sourceMeanMillis(), st.calls(), st.query()));
    }
    lines.add(s.reverseStreamActive() == null ? "reverse stream: none (reverseReplication: false)"
        : "reverse stream: " + (s.reverseStreamActive() ? "running" : "NOT running") + ", " + s.reverseLagBytes()
            + " bytes behind");
    lines.add("old database: " + s.staleClientCount() + " client session(s), " + s.oldDatabaseWriters()
        + " writing, " + s.oldDatabaseRollbacks() + " transaction(s) refused or rolled back");
    return lines;
  }
}
