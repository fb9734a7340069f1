package dev.phaseshift.activities;

import dev.phaseshift.model.BatchCopyResult;
import dev.phaseshift.model.CopyProgress;
import dev.phaseshift.model.Lag;
import dev.phaseshift.model.SwitchoverResult;
import dev.phaseshift.model.TableCopyResult;
import dev.phaseshift.model.ValidationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The migration's own metrics, every one tagged with {@value #MIGRATION_TAG}. Each worker process
 * reports what it did itself; summing over the scraped instances gives the migration's totals,
 * which is why rows and bytes are counters and not gauges of a table's position.
 *
 * <p>The constants are the Micrometer names; {@link #PROMETHEUS_NAMES} lists what Prometheus
 * shows for them (units and {@code _total} appended), which the Grafana dashboard queries.
 */
public final class MigrationMetrics {
  public static final String MIGRATION_TAG = "migration";
  public static final String TABLE_TAG = "table";
  public static final String STEP_TAG = "step";
  public static final String OUTCOME_TAG = "outcome";

  public static final String ROWS_COPIED = "phaseshift.copy.rows";
  public static final String BYTES_COPIED = "phaseshift.copy.bytes";
  public static final String TABLES_COPIED = "phaseshift.copy.tables";
  public static final String CHUNKS_COPIED = "phaseshift.copy.chunks";
  public static final String REPLICATION_LAG = "phaseshift.replication.lag";
  public static final String VALIDATION_MISMATCHES = "phaseshift.validation.mismatches";
  public static final String WRITE_FREEZE = "phaseshift.write.freeze";
  public static final String STEP = "phaseshift.step";

  /** Series names in the Prometheus exposition, as {@code /actuator/prometheus} prints them. */
  public static final List<String> PROMETHEUS_NAMES = List.of(
      "phaseshift_copy_rows_total",
      "phaseshift_copy_bytes_total",
      "phaseshift_copy_tables_total",
      "phaseshift_copy_chunks_total",
      "phaseshift_replication_lag_bytes",
      "phaseshift_validation_mismatches",
      "phaseshift_write_freeze_milliseconds",
      "phaseshift_step_seconds_count",
      "phaseshift_step_seconds_sum",
      "phaseshift_step_seconds_max");

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

  public MigrationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records nothing: for callers without a registry, such as the demo. */
  public static MigrationMetrics none() {
    return new MigrationMetrics(new CompositeMeterRegistry());
  }

  /**
   * Counts what one copy attempt moves while it runs, from its heartbeats, so dashboards show
   * progress within a large table. The first heartbeat of an attempt reports chunks an earlier
   * attempt already committed; those were counted then and are taken as the baseline.
   */
  public CopyRecorder copy(String migration, String table) {
    return new CopyRecorder(migration, table);
  }

  public final class CopyRecorder {
    private final String migration;
    private final String label;
    private final Counter rows;
    private final Counter bytes;
    private long lastRows = -1;
    private long lastBytes;

    private CopyRecorder(String migration, String table) {
      this.migration = migration;
      this.label = table;
      rows = Counter.builder(ROWS_COPIED).description("Rows copied by the bulk copy")
          .tags(MIGRATION_TAG, migration, TABLE_TAG, table).register(registry);
      bytes = Counter.builder(BYTES_COPIED).description("Bytes streamed by the bulk copy").baseUnit("bytes")
          .tags(MIGRATION_TAG, migration, TABLE_TAG, table).register(registry);
    }

    public synchronized void progress(CopyProgress progress) {
      advance(progress.rowsCopied(), progress.bytesCopied());
    }

    public synchronized void finished(TableCopyResult result) {
      sliceFinished(result);
      Counter.builder(TABLES_COPIED).description("Tables whose bulk copy finished")
          .tags(MIGRATION_TAG, migration, TABLE_TAG, result.table()).register(registry).increment();
    }

    /**
     * A share of a table's chunks is on the target. Counts the chunks this worker copied, not
     * those an earlier attempt left, so each worker's count says how much of the copy it took.
     */
    public synchronized void sliceFinished(TableCopyResult result) {
      advance(result.rows(), result.bytes());
      Counter.builder(CHUNKS_COPIED).description("Chunks this worker copied and committed")
          .tags(MIGRATION_TAG, migration, TABLE_TAG, result.table()).register(registry)
          .increment(result.chunks() - result.resumedChunks());
    }

    /** A batch's tables count under the batch's label, so the series stay few. */
    public synchronized void finished(BatchCopyResult result) {
      // A large batch lists some of its tables and sums the others.
      BatchCopyResult.Rest rest = result.rest() == null ? new BatchCopyResult.Rest(0, 0, 0, 0, 0) : result.rest();
      advance(rest.rows() + result.tables().stream().mapToLong(TableCopyResult::rows).sum(),
          rest.bytes() + result.tables().stream().mapToLong(TableCopyResult::bytes).sum());
      Counter.builder(TABLES_COPIED).description("Tables whose bulk copy finished")
          .tags(MIGRATION_TAG, migration, TABLE_TAG, label).register(registry).increment(result.tableCount());
    }

    private void advance(long rowsNow, long bytesNow) {
      if (lastRows < 0) {
        lastRows = rowsNow;
        lastBytes = bytesNow;
        return;
      }
      // Heartbeat bytes include chunks still in flight, so a later figure may be smaller.
      if (rowsNow > lastRows) rows.increment(rowsNow - lastRows);
      if (bytesNow > lastBytes) bytes.increment(bytesNow - lastBytes);
      lastRows = Math.max(lastRows, rowsNow);
      lastBytes = Math.max(lastBytes, bytesNow);
    }
  }

  public void lag(String migration, Lag lag) {
    gauge(REPLICATION_LAG, "WAL bytes the target trails the source by, at the last measurement", "bytes", migration)
        .set(lag.bytes());
  }

  public void validation(String migration, ValidationResult result) {
    gauge(VALIDATION_MISMATCHES, "Tables (and schema differences) that differed at the last validation", null,
        migration).set(result.mismatches());
  }

  public void switchover(String migration, SwitchoverResult result) {
    gauge(WRITE_FREEZE, "Write freeze of the last switchover", "milliseconds", migration)
        .set(result.writeFreezeMillis());
  }

  /** Times one activity; {@code outcome} tells finished steps from failed attempts. */
  public void step(String migration, String step, long nanos, boolean succeeded) {
    Timer.builder(STEP).description("Duration of migration steps (activities) on this worker")
        .tags(MIGRATION_TAG, migration, STEP_TAG, step, OUTCOME_TAG, succeeded ? "success" : "failure")
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * One holder per name and migration; the gauge keeps a strong reference to it, since a weakly
   * referenced holder would be collected and the gauge would read NaN.
   */
  private AtomicLong gauge(String name, String description, String unit, String migration) {
    return gauges.computeIfAbsent(name + '\0' + migration, key -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder(name, holder, AtomicLong::doubleValue).description(description).baseUnit(unit)
          .tags(MIGRATION_TAG, migration).strongReference(true).register(registry);
      return holder;
    });
  }
}
