package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.ChangingRows;
import dev.phaseshift.model.ChunkDifference;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableValidation;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One table through the rounds of a validation. The first round compares every row except those
 * the application changed after the target's position; each later round compares just the rows
 * left over, at a fresh point, except those changed yet again. The rounds compare disjoint sets of
 * rows, so counts and checksums add up over them, range by range. A table whose rows cannot be
 * named (no key, or truncated) waits for a round in which it did not change at all.
 */
final class PgTableRounds {
  /** One checksum query of this table: which range it covers, and its SQL. */
  record Query(int range, String sql) {}

  final TableInfo table;
  final boolean onTarget;
  private final String quoted;
  private final PgKeyRanges.Split split;
  private final String rowHash;
  private final PgKeyFilter key;
  private final long[] sourceRows;
  private final long[] targetRows;
  private final BigInteger[] sourceSums;
  private final BigInteger[] targetSums;
  private final boolean[] differs;
  /** Still to compare: the whole table, or only {@link #left}. */
  private boolean all = true;
  private Set<List<String>> left = Set.of();
  private boolean done;

  PgTableRounds(TableInfo table, boolean onTarget, PgKeyRanges.Split split, String rowHash, PgKeyFilter key) {
    this.table = table;
    this.onTarget = onTarget;
    this.quoted = PgInventory.quoted(table);
    this.split = split;
    this.rowHash = rowHash;
    this.key = key;
    int n = split.ranges().size();
    this.sourceRows = new long[n];
    this.targetRows = new long[n];
    this.sourceSums = new BigInteger[n];
    this.targetSums = new BigInteger[n];
    Arrays.fill(sourceSums, BigInteger.ZERO);
    Arrays.fill(targetSums, BigInteger.ZERO);
    this.differs = new boolean[n];
  }

  boolean done() {
    return done;
  }

  /** Weight of one query of this table, for ordering the sessions' work. */
  long weight() {
    return all ? table.bytes() / split.ranges().size() : left.size();
  }

  /**
   * The queries of this round, given what changed after the target's position; what they leave
   * out is what the next round compares.
   */
  List<Query> round(PgChangedKeys.Changes changes) {
    List<Query> queries = new ArrayList<>();
    if (done) return queries;
    String name = table.qualifiedName();
    if (!onTarget) {
      // Nothing to wait for: every range differs. The source's rows are still counted.
      for (int i = 0; i < split.ranges().size(); i++) queries.add(query(i, null));
      done = true;
      return queries;
    }
    Set<List<String>> changed = changes.keys().getOrDefault(name, Set.of());
    boolean nameable = key.usable() && changed.stream().allMatch(k -> k.size() == key.columns().size());
    if (changes.tables().contains(name) || (!changed.isEmpty() && !nameable)) return queries;
    List<PgKeyRanges.Range> ranges = split.ranges();
    if (all) {
      List<List<List<String>>> excluded = byRange(changed, ranges);
      for (int i = 0; i < ranges.size(); i++) {
        queries.add(query(i, excluded.get(i).isEmpty() ? null : key.notIn(excluded.get(i))));
      }
      all = false;
      left = new LinkedHashSet<>(changed);
    } else {
      Set<List<String>> compare = new LinkedHashSet<>(left);
      compare.removeAll(changed);
      Set<List<String>> still = new LinkedHashSet<>(left);
      still.retainAll(changed);
      List<List<List<String>>> included = byRange(compare, ranges);
      for (int i = 0; i < ranges.size(); i++) {
        if (!included.get(i).isEmpty()) queries.add(query(i, key.in(included.get(i))));
      }
      left = still;
    }
    done = left.isEmpty();
    return queries;
  }

  /**
   * The keys that fall in each range. A key whose range cannot be told goes into every range: the
   * ranges do not overlap, so its row is still counted once.
   */
  private List<List<List<String>>> byRange(Set<List<String>> keys, List<PgKeyRanges.Range> ranges) {
    List<List<List<String>>> out = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) out.add(new ArrayList<>());
    for (List<String> k : keys) {
      int range = key.rangeOf(k, split.key(), ranges);
      if (range >= 0) {
        out.get(range).add(k);
      } else {
        out.forEach(list -> list.add(k));
      }
    }
    return out;
  }

  private Query query(int range, String filter) {
    String where = split.where(split.ranges().get(range));
    if (filter != null) where = where.isEmpty() ? " WHERE " + filter : where + " AND " + filter;
    return new Query(range, PgChunkChecksums.sql(quoted, rowHash, where));
  }

  /** Adds one query's checksums; {@code target} is null for a table missing on the target. */
  void add(int range, PgChunkChecksums.Checksum source, PgChunkChecksums.Checksum target) {
    PgChunkChecksums.Checksum t = target == null ? new PgChunkChecksums.Checksum(0, BigInteger.ZERO) : target;
    sourceRows[range] += source.rows();
    targetRows[range] += t.rows();
    sourceSums[range] = sourceSums[range].add(source.sum());
    targetSums[range] = targetSums[range].add(t.sum());
    if (target == null || source.rows() != t.rows() || !source.sum().equals(t.sum())) differs[range] = true;
  }

  TableValidation result() {
    long src = 0;
    long tgt = 0;
    BigInteger srcSum = BigInteger.ZERO;
    BigInteger tgtSum = BigInteger.ZERO;
    List<ChunkDifference> differences = new ArrayList<>();
    for (int i = 0; i < split.ranges().size(); i++) {
      src += sourceRows[i];
      tgt += targetRows[i];
      srcSum = srcSum.add(sourceSums[i]);
      tgtSum = tgtSum.add(targetSums[i]);
      if (differs[i]) {
        PgKeyRanges.Range range = split.ranges().get(i);
        differences.add(new ChunkDifference(split.key(), range.from(), range.to(), sourceRows[i], targetRows[i]));
      }
    }
    ChangingRows changing = done ? null
        : all ? new ChangingRows(0, true, List.of())
        : new ChangingRows(left.size(), false,
            left.stream().limit(ChangingRows.EXAMPLES).map(PgKeyFilter::display).toList());
    // The sums of the pieces add up to the sum over the rows compared, however they were split.
    return new TableValidation(table.qualifiedName(), src, tgt, srcSum.toString(),
        onTarget ? tgtSum.toString() : "missing", differences.isEmpty(), split.ranges().size(), differences,
        changing);
  }
}
