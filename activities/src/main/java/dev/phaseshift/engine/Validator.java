package dev.phaseshift.engine;

import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;

/** Compares source and target at one consistent point while writes continue. */
public interface Validator {
  ValidationResult validate(MigrationPlan plan);
}
