package dev.phaseshift.model;

/**
 * What the switchover spends on the objects no stream carries, as one validation measured it:
 * the switchover repeats the same work, so these figures belong in its forecast.
 *
 * @param refreshMillis materialized views refreshed on the target, which the switchover does
 *                      again right before the freeze (writes still flow meanwhile)
 * @param freezeMillis  large objects brought current and unlogged tables copied and compared,
 *                      which the switchover does inside the freeze; the unlogged tables' part is
 *                      estimated as twice the time validation took to read them on both sides
 */
public record UnstreamedWork(long refreshMillis, long freezeMillis) {
  public static final UnstreamedWork NONE = new UnstreamedWork(0, 0);
}
