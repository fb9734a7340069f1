package dev.phaseshift.workflow;

import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyTotals;
import dev.phaseshift.model.TableCopyResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finished table copies as the workflow keeps them: totals over every table, and per-table
 * results only for a bounded selection, so the status query, the report and the workflow's
 * memory do not grow with the number of tables. Up to {@link #LISTED} tables every result is kept
 * in the order the copies finished; beyond, the largest and the slowest half each.
 */
final class CopyTally {
  static final int LISTED = 100;

  private static final Comparator<TableCopyResult> LARGEST = Comparator.comparingLong(TableCopyResult::bytes)
      .reversed().thenComparing(TableCopyResult::table);
  private static final Comparator<TableCopyResult> SLOWEST = Comparator.comparingLong(TableCopyResult::millis)
      .reversed().thenComparing(TableCopyResult::table);

  private final List<TableCopyResult> listed = new ArrayList<>();
  private int tables;
  private long rows;
  private long bytes;
  private int chunks;
  private int resumedChunks;
  private int activities;

  void add(TableCopyResult result) {
    tables++;
    rows += result.rows();
    bytes += result.bytes();
    chunks += result.chunks();
    resumedChunks += result.resumedChunks();
    listed.add(result);
    if (listed.size() > LISTED) keepLargestAndSlowest();
  }

  /** Tables a batch summed instead of listing them; null adds nothing. */
  void add(BatchCopyResult.Rest rest) {
    if (rest == null) return;
    tables += rest.tables();
    rows += rest.rows();
    bytes += rest.bytes();
    chunks += rest.chunks();
    resumedChunks += rest.resumedChunks();
  }

  /** One copy activity finished, whether it copied one table or a batch. */
  void activityFinished() {
    activities++;
  }

  private void keepLargestAndSlowest() {
    Set<TableCopyResult> keep = new HashSet<>();
    listed.stream().sorted(LARGEST).limit(LISTED / 2).forEach(keep::add);
    listed.stream().sorted(SLOWEST).filter(r -> !keep.contains(r)).limit(LISTED - keep.size()).forEach(keep::add);
    listed.removeIf(r -> !keep.contains(r));
  }

  void clear() {
    listed.clear();
    tables = 0;
    rows = 0;
    bytes = 0;
    chunks = 0;
    resumedChunks = 0;
    activities = 0;
  }

  int tables() {
    return tables;
  }

  long bytes() {
    return bytes;
  }

  List<TableCopyResult> listed() {
    return List.copyOf(listed);
  }

  CopyTotals totals() {
    return new CopyTotals(tables, rows, bytes, chunks, resumedChunks, listed.size(), activities);
  }
}
