package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.DatabaseCounters;

/**
 * Two readings of a database's counters as rates: the baseline's on the source and each sample's
 * on the new primary are computed alike, so they compare.
 *
 * @param failedSessionsPerMinute null where either reading lacks the counter (before PostgreSQL 14)
 */
record CounterRates(double seconds, long transactions, double rollbackShare, double deadlocksPerMinute,
    Double failedSessionsPerMinute) {

  static CounterRates between(DatabaseCounters before, DatabaseCounters now) {
    double seconds = Math.max(0.001, (now.atMillis() - before.atMillis()) / 1000.0);
    long commits = Math.max(0, now.commits() - before.commits());
    long rollbacks = Math.max(0, now.rollbacks() - before.rollbacks());
    long transactions = commits + rollbacks;
    Double failed = now.failedSessions() == null || before.failedSessions() == null ? null
        : perMinute(now.failedSessions() - before.failedSessions(), seconds);
    return new CounterRates(seconds, transactions, transactions == 0 ? 0 : (double) rollbacks / transactions,
        perMinute(now.deadlocks() - before.deadlocks(), seconds), failed);
  }

  private static double perMinute(long count, double seconds) {
    return Math.max(0, count) * 60.0 / seconds;
  }
}
