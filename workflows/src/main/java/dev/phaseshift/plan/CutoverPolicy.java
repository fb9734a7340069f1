package dev.phaseshift.plan;

/**
 * Limits for the write freeze at switchover.
 *
 * @param maxFreeze         longest time writes may be frozen (e.g. {@code 30s}); past it the freeze
 *                          is released and the switchover tried again later
 * @param maxLagBytes       replication lag above which the freeze is not started, and above which
 *                          a given approval is withdrawn
 * @param maxTransactionAge a write transaction open on the source for longer than this holds the
 *                          switchover back (e.g. {@code 5m})
 */
public record CutoverPolicy(String maxFreeze, Long maxLagBytes, String maxTransactionAge) {
  public CutoverPolicy(String maxFreeze, Long maxLagBytes) {
    this(maxFreeze, maxLagBytes, null);
  }
}
