package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
final class PgChangeStream {
  PgChangeStream(SnapshotHolder unused) {}
}
