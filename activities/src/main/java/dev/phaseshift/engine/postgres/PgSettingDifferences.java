package dev.phaseshift.engine.postgres;

import dev.phaseshift.model.SettingDifference;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Settings that shape plans, memory, parallelism and autovacuum, where the new primary differs from the source. */
final class PgSettingDifferences {
  /** The settings compared, each with why a difference matters. */
  static final Map<String, String> WHY = reasons();

  private PgSettingDifferences() {}

  private static Map<String, String> reasons() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("shared_buffers", "memory: how much of the data stays cached in the server");
    m.put("effective_cache_size", "plans: how much cache the planner assumes; too low favours sequential scans");
    m.put("work_mem", "memory: per sort or hash; too low spills to disk, too high risks running out of memory");
    m.put("maintenance_work_mem", "memory: VACUUM and index builds");
    m.put("random_page_cost", "plans: index scans against sequential scans");
    m.put("seq_page_cost", "plans: the cost base of every scan");
    m.put("effective_io_concurrency", "plans and I/O: prefetching for bitmap scans");
    m.put("default_statistics_target", "plans: how detailed ANALYZE's statistics are");
    m.put("jit", "plans: just-in-time compilation of expensive queries");
    m.put("max_connections", "capacity: sessions the application may open");
    m.put("max_worker_processes", "parallelism: background workers in all");
    m.put("max_parallel_workers", "parallelism: workers for parallel queries in all");
    m.put("max_parallel_workers_per_gather", "parallelism: workers one query may use");
    m.put("max_parallel_maintenance_workers", "parallelism: workers for index builds");
    m.put("autovacuum", "autovacuum: on or off");
    m.put("autovacuum_max_workers", "autovacuum: tables vacuumed at once");
    m.put("autovacuum_naptime", "autovacuum: how often each database is checked");
    m.put("autovacuum_vacuum_scale_factor", "autovacuum: dead rows before a table is vacuumed");
    m.put("autovacuum_analyze_scale_factor", "autovacuum: changed rows before a table is analyzed");
    m.put("autovacuum_vacuum_cost_limit", "autovacuum: how fast it may work");
    m.put("autovacuum_freeze_max_age", "autovacuum: when anti-wraparound vacuums are forced");
    m.put("checkpoint_timeout", "writes: how often checkpoints flush");
    m.put("max_wal_size", "writes: WAL between checkpoints");
    return m;
  }

  static List<SettingDifference> find(Connection s, Connection t) throws SQLException {
    Map<String, String> source = read(s);
    Map<String, String> target = read(t);
    List<SettingDifference> out = new ArrayList<>();
    for (Map.Entry<String, String> e : WHY.entrySet()) {
      String a = source.get(e.getKey());
      String b = target.get(e.getKey());
      if (a != null && b != null && !a.equals(b)) out.add(new SettingDifference(e.getKey(), a, b, e.getValue()));
    }
    return out;
  }

  /** Each setting with its unit, e.g. {@code 16384 8kB}, so values in different units compare as written. */
  private static Map<String, String> read(Connection c) throws SQLException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String[] row : Sql.query(c, "SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings"
        + " WHERE name = ANY (?)", rs -> new String[] {rs.getString(1), rs.getString(2)},
        c.createArrayOf("text", WHY.keySet().toArray()))) {
      values.put(row[0], row[1]);
    }
    return values;
  }
}
