package dev.phaseshift.engine;

import dev.phaseshift.model.OptimizationAdvice;
import dev.phaseshift.plan.MigrationPlan;

/**
 * OPTIMIZE's advice on the new primary, compared with the old database. Changes nothing but what
 * the plan allows: freezing the copied tables.
 */
public interface OptimizationAdvisor {
  OptimizationAdvice advise(MigrationPlan plan);
}
