package dev.phaseshift.engine.postgres;

import dev.phaseshift.plan.MigrationPlan;

/** A session on each side of a migration, opened source first and closed together. */
record PgSessionPair(PgSession source, PgSession target) implements AutoCloseable {
  static PgSessionPair open(MigrationPlan plan) {
    PgSession source = PgSession.open(PgEndpoint.source(plan));
    try {
      return new PgSessionPair(source, PgSession.open(PgEndpoint.target(plan)));
    } catch (RuntimeException e) {
      try {
        source.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      target.close();
    } finally {
      source.close();
    }
  }
}
