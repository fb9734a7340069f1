package dev.phaseshift.workflow;

import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableSlice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits a large table's copy into slices, activities that any worker on the queue takes, so one
 * huge table is copied by every worker at once; and joins the slices' results into the table's.
 * Each worker runs up to {@code copyParallelism} chunk streams of a migration, whatever number of
 * slices it holds, so slicing changes nothing on a single worker. Pure and deterministic.
 */
final class TableSlicing {
  /** About two chunks of the engine's 64 MiB each per slice, counting the table with its indexes. */
  static final long SLICE_BYTES = 128L << 20;

  private final Map<String, List<TableCopyResult>> pending = new HashMap<>();

  /**
   * How many slices the table's copy gets: one per {@link #SLICE_BYTES}, at most twice the copy
   * parallelism, so up to that many workers share it and a retried slice repeats little.
   */
  static int slices(TableInfo table, int parallelism) {
    long bySize = (table.bytes() + SLICE_BYTES - 1) / SLICE_BYTES;
    return (int) Math.max(1, Math.min(bySize, 2L * Math.max(1, parallelism)));
  }

  static List<TableSlice> of(TableInfo table, int slices) {
    List<TableSlice> all = new ArrayList<>(slices);
    for (int i = 0; i < slices; i++) all.add(new TableSlice(table, i, slices));
    return all;
  }

  /**
   * Takes a finished slice's result; returns the table's, once its last slice is in, else null.
   * The table's time is the longest slice's, since the slices ran side by side.
   */
  TableCopyResult finished(TableSlice slice, TableCopyResult result) {
    List<TableCopyResult> done = pending.computeIfAbsent(slice.table().qualifiedName(), k -> new ArrayList<>());
    done.add(result);
    if (done.size() < slice.slices()) return null;
    pending.remove(slice.table().qualifiedName());
    return new TableCopyResult(result.table(),
        done.stream().mapToLong(TableCopyResult::rows).sum(),
        done.stream().mapToLong(TableCopyResult::bytes).sum(),
        done.stream().mapToLong(TableCopyResult::millis).max().orElse(0),
        done.stream().mapToInt(TableCopyResult::chunks).sum(),
        done.stream().mapToInt(TableCopyResult::resumedChunks).sum());
  }

  /** The copy starts over from a new snapshot: slices finished under the old one no longer count. */
  void clear() {
    pending.clear();
  }
}
