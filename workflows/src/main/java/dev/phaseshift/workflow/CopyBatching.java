package dev.phaseshift.workflow;

import dev.phaseshift.model.CopyBatch;
import dev.phaseshift.model.TableInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits the tables to copy into copy activities. Every activity adds a handful of history events,
 * and a workflow's history is capped at 51,200 events, so a schema of 10,000 tables cannot have one
 * activity per table. Small tables are packed into batches; a large one keeps an activity of its
 * own, where its chunks stream in parallel. Pure and deterministic: the workflow calls it, and so
 * does the activity that plans the batches of a schema too large for the workflow to list.
 */
public final class CopyBatching {
  /** Up to this many tables each gets its own activity, with its own line in the Web UI. */
  static final int PER_TABLE_UP_TO = 100;
  /** A table at least this large is copied by an activity of its own. */
  static final long OWN_ACTIVITY_BYTES = 256L << 20;
  /** Bytes of one batch, so a retried batch repeats little work. */
  static final long BATCH_BYTES = 256L << 20;
  static final int BATCH_TABLES = 200;
  /** However many tables there are, batches stay under this many (batches grow instead). */
  static final int MAX_BATCHES = 1000;
  /** Batches per parallel copy, so the parallel copies finish at about the same time. */
  private static final int BATCHES_PER_LANE = 4;

  private CopyBatching() {}

  /** One table per batch, in the order given. */
  static List<CopyBatch> oneEach(List<TableInfo> tables) {
    return tables.stream().map(t -> new CopyBatch(t.qualifiedName(), List.of(t))).toList();
  }

  /** The tables, largest first (then by name): the order the copy takes them in. */
  public static List<TableInfo> largestFirst(List<TableInfo> tables) {
    List<TableInfo> sorted = new ArrayList<>(tables);
    sorted.sort(Comparator.comparingLong(TableInfo::bytes).reversed().thenComparing(TableInfo::qualifiedName));
    return sorted;
  }

  /**
   * @param largestFirst the tables, largest first; batches keep that order, so the long copies start first
   */
  public static List<CopyBatch> batches(List<TableInfo> largestFirst, int parallelism) {
    if (largestFirst.size() <= PER_TABLE_UP_TO) return oneEach(largestFirst);
    List<List<TableInfo>> groups = new ArrayList<>();
    List<TableInfo> small = largestFirst.stream().filter(t -> t.bytes() < OWN_ACTIVITY_BYTES).toList();
    for (TableInfo t : largestFirst) if (t.bytes() >= OWN_ACTIVITY_BYTES) groups.add(List.of(t));
    int perBatch = tablesPerBatch(small.size(), parallelism);
    List<TableInfo> current = new ArrayList<>();
    long currentBytes = 0;
    for (TableInfo t : small) {
      if (!current.isEmpty() && (current.size() >= perBatch || currentBytes + t.bytes() > BATCH_BYTES)) {
        groups.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(t);
      currentBytes += t.bytes();
    }
    if (!current.isEmpty()) groups.add(current);
    List<CopyBatch> batches = new ArrayList<>(groups.size());
    for (int i = 0; i < groups.size(); i++) {
      List<TableInfo> group = groups.get(i);
      batches.add(new CopyBatch(group.size() == 1 ? group.get(0).qualifiedName()
          : "batch " + (i + 1) + "/" + groups.size(), List.copyOf(group)));
    }
    return batches;
  }

  static int tablesPerBatch(int smallTables, int parallelism) {
    int spread = ceilDiv(smallTables, Math.max(1, parallelism) * BATCHES_PER_LANE);
    return Math.max(Math.max(1, Math.min(BATCH_TABLES, spread)), ceilDiv(smallTables, MAX_BATCHES));
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
