package dev.phaseshift.model;

import java.util.List;

/**
 * Tables copied by one activity, one after the other on the same two sessions. Many small tables
 * share a batch so a schema of 10,000 tables needs tens of activities, not 10,000.
 *
 * @param label  how operators and heartbeats name the batch, such as {@code batch 3/50}
 * @param tables the batch's tables; empty when they are {@code stored}
 * @param stored set when the batch's tables are kept on the target instead of in the workflow (a
 *               schema too large for its catalog to travel in Temporal's payloads); the copy
 *               activity reads them there. Null when {@code tables} lists them
 */
public record CopyBatch(String label, List<TableInfo> tables, Stored stored) {

  /**
   * A batch of tables kept in the target's bookkeeping under the migration's name.
   *
   * @param number the batch's number there, from 1
   * @param tables how many tables it holds
   * @param bytes  their size at planning
   */
  public record Stored(int number, int tables, long bytes) {}

  public CopyBatch(String label, List<TableInfo> tables) {
    this(label, tables, null);
  }

  public long bytes() {
    return stored != null ? stored.bytes() : tables.stream().mapToLong(TableInfo::bytes).sum();
  }

  public int tableCount() {
    return stored != null ? stored.tables() : tables.size();
  }
}
