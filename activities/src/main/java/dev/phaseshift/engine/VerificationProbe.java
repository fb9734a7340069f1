package dev.phaseshift.engine;

import dev.phaseshift.model.DatabaseCounters;
import dev.phaseshift.model.VerificationBaseline;
import dev.phaseshift.model.VerificationReading;
import dev.phaseshift.model.VerificationSample;
import dev.phaseshift.plan.MigrationPlan;

/**
 * Reads what the verification window compares: the source before the switch, and after it the
 * new primary and the old database. Reads only; changes nothing on either side.
 */
public interface VerificationProbe {
  /** One reading of the source, the start of the baseline. */
  DatabaseCounters sourceCounters(MigrationPlan plan);

  /** The source from {@code start} to now, with its top statements. */
  VerificationBaseline baseline(MigrationPlan plan, DatabaseCounters start);

  /** Both sides now, compared with {@code previous}; with none, only the reading. */
  VerificationSample sample(MigrationPlan plan, VerificationBaseline baseline, VerificationReading previous);
}
