package dev.phaseshift.router;

import dev.phaseshift.plan.MigrationPlan;

/**
 * Where the application's connections go. Switchover and rollback hold client traffic with
 * {@link #hold}, move the database, then {@link #release} traffic towards the side that now
 * takes writes.
 */
public interface Router {
  enum Side {
    SOURCE, TARGET;

    /** Where writes stay when a move towards this side fails. */
    public Side opposite() {
      return this == TARGET ? SOURCE : TARGET;
    }
  }

  /**
   * Holds new client queries without breaking connections; no-op where the router cannot.
   *
   * @return {@link System#nanoTime()} when clients began to wait: after the router's own checks,
   *         which hold nobody, so callers time only what clients see
   */
  long hold(MigrationPlan plan);

  /** Points the application's entry at {@code side} and lets held queries through. Idempotent. */
  void release(MigrationPlan plan, Side side);

  /** Whether the router moves connections itself; if not, an operator does and says so. */
  boolean switchesConnections();
}
