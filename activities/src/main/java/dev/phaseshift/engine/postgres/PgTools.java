package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
public final class PgTools {
  public static PgTools detect() { return new PgTools(); }
}
