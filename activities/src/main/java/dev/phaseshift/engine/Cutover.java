package dev.phaseshift.engine;

import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableStats;
import dev.phaseshift.model.VerifyResult;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;

/** Moves writes from source to target, checks the result, and cleans up afterwards. */
public interface Cutover {
  SwitchoverResult switchover(MigrationPlan plan);

  VerifyResult verify(MigrationPlan plan);

  /** Drops subscription, slot, publication and bookkeeping once the retention window is over. */
  void decommission(MigrationPlan plan);

  List<TableStats> optimize(MigrationPlan plan);
}
