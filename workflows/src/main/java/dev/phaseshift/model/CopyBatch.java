package dev.phaseshift.model;

import java.util.List;

/**
 * Tables copied by one activity, one after the other on the same two sessions. Many small tables
 * share a batch so a schema of 10,000 tables needs tens of activities, not 10,000.
 *
 * @param label how operators and heartbeats name the batch, such as {@code batch 3/50}
 */
public record CopyBatch(String label, List<TableInfo> tables) {
  public long bytes() {
    return tables.stream().mapToLong(TableInfo::bytes).sum();
  }
}
