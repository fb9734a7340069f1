package dev.phaseshift.engine;

import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;

/** Compares source and target at one consistent point while writes continue. */
public interface Validator {
  ValidationResult validate(MigrationPlan plan);

  /**
   * A drift check at any time in the migration's life: through the forward stream before the
   * switchover, through the reverse one after it; fails as a prerequisite, saying why, when no
   * stream runs to compare through.
   */
  ValidationResult checkDrift(MigrationPlan plan);
}
