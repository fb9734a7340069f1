package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
final class PgInspector {
  PgInspector(PgTools unused) {}
}
