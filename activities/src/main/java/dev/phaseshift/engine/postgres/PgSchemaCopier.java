package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
final class PgSchemaCopier {
  PgSchemaCopier(PgTools unused) {}
}
