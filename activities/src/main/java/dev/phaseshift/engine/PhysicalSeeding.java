package dev.phaseshift.engine;

import dev.phaseshift.model.ChangeCapture;
import dev.phaseshift.model.Finding;
import dev.phaseshift.plan.MigrationPlan;
import java.util.List;
import java.util.function.Consumer;

/**
 * Seeding the target from a physical copy of the source's cluster instead of copying rows
 * ({@code seeding.method: physical}). Every method runs on the target host, as root or as the
 * operating-system user that owns the new data directory's parent.
 */
public interface PhysicalSeeding {
  /** What the seeding reports while its tools run, for the step's heartbeat. */
  record Progress(String stage, long bytesCopied, long bytesTotal) {}

  /** The target host's blockers (tools, data directory, port, disk), each with its fix; changes nothing. */
  List<Finding> checkHost(MigrationPlan plan);

  /**
   * Copies the source's cluster, turns the copy into a subscriber of the source under the
   * migration's own names and starts it. Idempotent: a seeding already done is returned as it is,
   * a half-done one is removed and done again.
   */
  ChangeCapture seed(MigrationPlan plan, Consumer<Progress> progress);

  /** Removes the seeding: subscription, publication and slot, the server and its data directory. */
  void undo(MigrationPlan plan);
}
