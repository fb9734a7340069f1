package dev.phaseshift.model;

/**
 * What a rehearsal measured before it tore everything down: how long the real migration's copy
 * will take and how long its write freeze is likely to be.
 *
 * @param copyMillis            wall time of the bulk copy
 * @param copiedBytes           bytes the copy moved
 * @param validationMillis      how long the count-and-checksum comparison took
 * @param lagBytes              how far the target trailed the source when the rehearsal measured it
 * @param freezeForecastMillis  expected write freeze: the time from that measurement until the
 *                              target confirmed the source's position then, which is the drain a
 *                              switchover's freeze waits for; -1 if the target did not catch up
 *                              within the rehearsal's limit
 * @param tornDown              whether the change capture and the target's objects were removed
 * @param unstreamed            what the switchover spends on objects no stream carries: its
 *                              freeze part is included in {@code freezeForecastMillis}; null in
 *                              results recorded before
 */
public record RehearsalResult(
    long copyMillis,
    long copiedBytes,
    long validationMillis,
    long lagBytes,
    long freezeForecastMillis,
    boolean tornDown,
    UnstreamedWork unstreamed) {

  public RehearsalResult(long copyMillis, long copiedBytes, long validationMillis, long lagBytes,
      long freezeForecastMillis, boolean tornDown) {
    this(copyMillis, copiedBytes, validationMillis, lagBytes, freezeForecastMillis, tornDown, null);
  }

  /** The freeze forecast in words: the drain and the objects copied inside the freeze, and what runs before it. */
  public String forecastText() {
    if (freezeForecastMillis < 0) return "unknown (the target did not catch up)";
    if (unstreamed == null || unstreamed.refreshMillis() + unstreamed.freezeMillis() == 0) {
      return freezeForecastMillis + " ms";
    }
    return freezeForecastMillis + " ms (of which " + unstreamed.freezeMillis() + " ms for large objects and unlogged"
        + " tables); materialized views refreshed before the freeze in " + unstreamed.refreshMillis() + " ms";
  }
}
