package dev.phaseshift.engine.postgres;

/** Placeholder until implemented. */
final class PgBulkCopier {
  PgBulkCopier(SnapshotHolder unused) {}
}
