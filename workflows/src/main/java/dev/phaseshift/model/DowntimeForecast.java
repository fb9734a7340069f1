package dev.phaseshift.model;

/**
 * How long the copy, the catch-up and the write freeze should take on this pair of servers.
 *
 * @param copyMillis      the bulk copy of every selected table
 * @param catchUpMillis   applying what the source writes during the copy, after it
 * @param freezeMillis    the write freeze at switchover; -1 when it cannot be told
 * @param maxFreezeMillis the plan's bound for the freeze
 * @param basis           where the figures come from (the latest rehearsal, or what was measured now)
 * @param fromRehearsal   whether they come from a rehearsal of this plan
 */
public record DowntimeForecast(long copyMillis, long catchUpMillis, long freezeMillis, long maxFreezeMillis,
    String basis, boolean fromRehearsal) {

  public boolean withinBound() {
    return freezeMillis >= 0 && freezeMillis <= maxFreezeMillis;
  }
}
