package dev.phaseshift.engine;

import dev.phaseshift.model.CopyProgress;

/**
 * How long-running engine work reports progress. The activity layer forwards it to Temporal's
 * heartbeat; tests can record it. Engine code stays free of Temporal APIs.
 */
@FunctionalInterface
public interface Heartbeat {
  Heartbeat NONE = progress -> {};

  void beat(CopyProgress progress);
}
