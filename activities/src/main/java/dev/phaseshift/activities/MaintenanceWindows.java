package dev.phaseshift.activities;

import dev.phaseshift.model.WindowSlot;
import dev.phaseshift.plan.MigrationPlan;

/** Placeholder until implemented. */
public final class MaintenanceWindows {
  public static WindowSlot next(MigrationPlan plan, long afterMillis) {
    throw new IllegalStateException("placeholder");
  }
}
