package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
final class PgValidator {
  PgValidator(PgTools unused) {}
}
