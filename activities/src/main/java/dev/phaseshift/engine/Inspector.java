package dev.phaseshift.engine;

import dev.phaseshift.model.Assessment;
import dev.phaseshift.plan.MigrationPlan;

/** Reads source and target and says whether the migration can go ahead. Changes nothing. */
public interface Inspector {
  Assessment assess(MigrationPlan plan);
}
