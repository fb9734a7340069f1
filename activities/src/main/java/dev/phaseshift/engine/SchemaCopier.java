package dev.phaseshift.engine;

import dev.phaseshift.plan.MigrationPlan;

/**
 * Recreates the source schema on the target in two steps: objects that hold data before the bulk
 * copy, indexes and constraints after it (building them once is much cheaper than maintaining them
 * during the copy). Both steps are idempotent.
 */
public interface SchemaCopier {
  void createTables(MigrationPlan plan);

  /**
   * Builds indexes and constraints, then fills what no stream carries: materialized views are
   * refreshed and large objects copied.
   */
  void createIndexesAndConstraints(MigrationPlan plan);
}
