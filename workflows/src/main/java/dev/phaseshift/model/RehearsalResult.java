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
 */
public record RehearsalResult(
    long copyMillis,
    long copiedBytes,
    long validationMillis,
    long lagBytes,
    long freezeForecastMillis,
    boolean tornDown) {}
