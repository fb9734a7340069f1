package dev.phaseshift.model;

import java.util.List;

/**
 * Row count and content checksum of one table on both sides, read at the same point.
 *
 * @param chunks      key ranges the table was compared in ({@code null} in results recorded before
 *                    validation was chunked)
 * @param differences the ranges whose rows differ, at most all {@code chunks} of them; empty when
 *                    the table matches ({@code null} in results recorded before validation was chunked)
 * @param changing    rows that changed in every round and were not compared; {@code null} when
 *                    every row was compared
 */
public record TableValidation(
    String table,
    long sourceRows,
    long targetRows,
    String sourceChecksum,
    String targetChecksum,
    boolean match,
    Integer chunks,
    List<ChunkDifference> differences,
    ChangingRows changing) {

  public TableValidation(String table, long sourceRows, long targetRows, String sourceChecksum,
      String targetChecksum, boolean match, Integer chunks, List<ChunkDifference> differences) {
    this(table, sourceRows, targetRows, sourceChecksum, targetChecksum, match, chunks, differences, null);
  }

  /** A table compared in one piece, as validations recorded before chunking report it. */
  public TableValidation(String table, long sourceRows, long targetRows, String sourceChecksum,
      String targetChecksum, boolean match) {
    this(table, sourceRows, targetRows, sourceChecksum, targetChecksum, match, null, null, null);
  }
}
