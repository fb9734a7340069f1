package dev.phaseshift.model;

import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A finished batch: per-table results for the batch's largest and slowest tables, those an earlier
 * attempt had copied included, and the other tables summed in {@code rest}, so a batch's result
 * stays a few kilobytes however many tables it holds (a migration of 100,000 tables has hundreds
 * of batches in its history).
 *
 * @param rest the tables not listed in {@code tables}; null when every table is listed
 */
public record BatchCopyResult(String label, List<TableCopyResult> tables, long millis, Rest rest) {
  /** A batch of up to this many tables lists every one. */
  public static final int LISTED_ALL_UP_TO = 50;
  /** A larger one lists this many largest and as many slowest. */
  public static final int LISTED_EACH = 10;

  /** Tables of a batch summed instead of listed. */
  public record Rest(int tables, long rows, long bytes, int chunks, int resumedChunks) {}

  public BatchCopyResult(String label, List<TableCopyResult> tables, long millis) {
    this(label, tables, millis, null);
  }

  /** Beyond {@link #LISTED_ALL_UP_TO}, lists the {@link #LISTED_EACH} largest and slowest of {@code results} and sums the others. */
  public static BatchCopyResult bounded(String label, List<TableCopyResult> results, long millis) {
    if (results.size() <= LISTED_ALL_UP_TO) return new BatchCopyResult(label, List.copyOf(results), millis);
    Set<TableCopyResult> keep = new LinkedHashSet<>();
    results.stream().sorted(Comparator.comparingLong(TableCopyResult::bytes).reversed()
        .thenComparing(TableCopyResult::table)).limit(LISTED_EACH).forEach(keep::add);
    results.stream().sorted(Comparator.comparingLong(TableCopyResult::millis).reversed()
        .thenComparing(TableCopyResult::table)).filter(r -> !keep.contains(r)).limit(LISTED_EACH).forEach(keep::add);
    int tables = 0;
    long rows = 0;
    long bytes = 0;
    int chunks = 0;
    int resumed = 0;
    for (TableCopyResult r : results) {
      if (keep.contains(r)) continue;
      tables++;
      rows += r.rows();
      bytes += r.bytes();
      chunks += r.chunks();
      resumed += r.resumedChunks();
    }
    return new BatchCopyResult(label, List.copyOf(keep), millis, new Rest(tables, rows, bytes, chunks, resumed));
  }

  /** Tables the batch copied, listed or summed. */
  public int tableCount() {
    return tables.size() + (rest == null ? 0 : rest.tables());
  }
}
