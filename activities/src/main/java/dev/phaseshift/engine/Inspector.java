package dev.phaseshift.engine;

import dev.phaseshift.model.ClientAccess;
import dev.phaseshift.model.Assessment;
import dev.phaseshift.model.DatabaseIdentities;
import dev.phaseshift.model.WorkloadReport;
import dev.phaseshift.plan.MigrationPlan;

/** Reads source and target and says whether the migration can go ahead. Changes nothing. */
public interface Inspector {
  Assessment assess(MigrationPlan plan);

  /**
   * Source and target as their servers identify themselves, so that one database reached under
   * two addresses is recognised; fails as a prerequisite when source and target are one database.
   */
  DatabaseIdentities identify(MigrationPlan plan);

  /** Samples the source's client sessions into the migration's log of clients seen. */
  void recordClients(MigrationPlan plan);

  /**
   * Samples the source once more, then checks that the target admits every client the log holds
   * (authentication rules, login roles, connection limits); each gap is a blocker with its fix.
   */
  ClientAccess clientAccess(MigrationPlan plan);

  /**
   * Watches the source's activity statistics for {@code sampleMillis} (calling {@code beat} about
   * every second meanwhile) and reports the workload, growth, top statements and clients with the
   * target's verdict; the forecast and windows are left for the caller. Changes nothing.
   */
  WorkloadReport workload(MigrationPlan plan, long sampleMillis, Runnable beat);
}
