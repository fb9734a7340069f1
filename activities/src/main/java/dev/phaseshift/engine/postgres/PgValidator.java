package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.engine.Validator;
import dev.phaseshift.model.SequenceValue;
import dev.phaseshift.model.TableInfo;
import dev.phaseshift.model.TableValidation;
import dev.phaseshift.model.ValidationResult;
import dev.phaseshift.plan.MigrationPlan;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Compares source and target at one point while the application keeps writing. A short SHARE lock
 * on the selected tables pins their content; a snapshot on the source is taken under it, the
 * target is given time to apply everything up to that point and is snapshotted too, and the lock
 * goes. The counting and checksumming then runs on the two snapshots without holding anything up.
 */
final class PgValidator implements Validator {
  private static final Duration CATCH_UP = Duration.ofSeconds(30);
  private static final long POLL_MILLIS = 20;

  /** Row text depends on these settings; both sides must render values identically. */
  private static final String[] TEXT_SETTINGS = {
    "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 3", "SET bytea_output = 'hex'"
  };

  private final PgTools tools;
  /** Longest the selected tables stay locked while the target catches up. */
  private final Duration catchUp;

  PgValidator(PgTools tools) {
    this(tools, CATCH_UP);
  }

  PgValidator(PgTools tools, Duration catchUp) {
    this.tools = tools;
    this.catchUp = catchUp;
  }

  @Override
  public ValidationResult validate(MigrationPlan plan) {
    long started = System.nanoTime();
    PgEndpoint source = PgEndpoint.source(plan);
    PgEndpoint target = PgEndpoint.target(plan);
    String slot = PgNames.slot(plan);
    try (Connection lock = source.connect(); Connection s = source.connect(); Connection t = target.connect()) {
      List<TableInfo> tables = PgInventory.call(source, "listing tables", () -> PgInventory.selectedTables(s, plan));
      if (tables.isEmpty()) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "the plan selects no table on the source; check tables.include and tables.exclude");
      }
      List<PgInventory.Seq> sequences = PgInventory.call(source, "listing sequences",
          () -> PgInventory.sequences(s, PgInventory.schemasOf(tables)));
      PgInventory.call(source, "preparing the session", () -> settings(s));
      PgInventory.call(target, "preparing the session", () -> settings(t));

      String lsn = pinBothSides(lock, s, t, source, target, tables, slot, catchUp);

      List<TableValidation> results = new ArrayList<>();
      for (TableInfo table : tables) {
        Checksum src = PgInventory.call(source, "checksumming " + table.qualifiedName(), () -> checksum(s, table));
        Checksum tgt = PgInventory.call(target, "checksumming " + table.qualifiedName(), () -> checksum(t, table));
        results.add(new TableValidation(table.qualifiedName(), src.rows(), tgt.rows(), src.sum(), tgt.sum(),
            src.rows() == tgt.rows() && src.sum().equals(tgt.sum())));
      }
      PgInventory.call(source, "ending the snapshot", () -> exec(s, "COMMIT"));
      PgInventory.call(target, "ending the snapshot", () -> exec(t, "COMMIT"));

      List<SequenceValue> sequenceValues = new ArrayList<>();
      for (PgInventory.Seq seq : sequences) {
        sequenceValues.add(new SequenceValue(seq.display(),
            PgInventory.call(source, "reading " + seq.display(), () -> PgInventory.lastValue(s, seq)),
            PgInventory.call(target, "reading " + seq.display(), () -> PgInventory.lastValue(t, seq))));
      }

      // Whole-database dumps compare everything the tables depend on (types, functions); when either
      // side holds tables outside the migration, only the migrated tables can be compared.
      Set<String> migrated = new TreeSet<>(tables.stream().map(TableInfo::qualifiedName).toList());
      boolean subset = PgInventory.call(source, "listing tables", () -> PgInventory.isSubset(s, plan))
          || PgInventory.call(target, "listing tables", () -> PgInventory.allTables(t)).stream()
              .anyMatch(other -> !migrated.contains(other.qualifiedName()));
      int newest = Math.max(PgInventory.call(source, "reading the version", () -> PgInventory.serverVersionNum(s)),
          PgInventory.call(target, "reading the version", () -> PgInventory.serverVersionNum(t)));
      List<String> schemaDifferences = schemaDifferences(tools.forServer(newest), source, target, subset, tables);

      int mismatches = (int) results.stream().filter(r -> !r.match()).count()
          + (schemaDifferences.isEmpty() ? 0 : Math.max(1, schemaDifferences.size()));
      return new ValidationResult(lsn, listed(results), sequenceValues.stream().limit(ValidationResult.LISTED).toList(),
          schemaDifferences.stream().limit(ValidationResult.LISTED).toList(), mismatches,
          (System.nanoTime() - started) / 1_000_000, results.size(), sequenceValues.size());
    } catch (SQLException e) {
      throw PgInventory.failure("closing connections", source, e);
    }
  }

  /**
   * Every table up to {@link ValidationResult#LISTED}; beyond, mismatches first, so a result for
   * 10,000 tables stays a few kilobytes in the workflow history and still names what differs.
   */
  static List<TableValidation> listed(List<TableValidation> results) {
    if (results.size() <= ValidationResult.LISTED) return results;
    List<TableValidation> listed = new ArrayList<>(results.stream().filter(r -> !r.match()).limit(ValidationResult.LISTED).toList());
    results.stream().filter(TableValidation::match).limit(ValidationResult.LISTED - listed.size()).forEach(listed::add);
    return listed;
  }

  /**
   * Leaves {@code s} and {@code t} each in a read-only repeatable-read snapshot showing the same
   * content of the selected tables, and returns the source WAL position that content corresponds to.
   */
  private static String pinBothSides(Connection lock, Connection s, Connection t, PgEndpoint source,
      PgEndpoint target, List<TableInfo> tables, String slot, Duration catchUp) {
    String tableList = tables.stream().map(PgInventory::quoted).collect(Collectors.joining(", "));
    boolean locked = false;
    try {
      exec(lock, "BEGIN");
      // Writers queue behind the lock; a long-running writer must not hold them up for long.
      exec(lock, "SET LOCAL lock_timeout = '5s'");
      exec(lock, "LOCK TABLE " + tableList + " IN SHARE MODE");
      locked = true;
      // The insert position, not pg_current_wal_lsn(): that is the write position, which with
      // asynchronous commit can still lie before the commit records of transactions already visible.
      String lsn = Sql.one(lock, "SELECT pg_current_wal_insert_lsn()::text", rs -> rs.getString(1));
      PgInventory.flushWal(s);
      exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      exec(s, "SELECT 1");
      waitForSlot(lock, t, slot, lsn, catchUp);
      exec(t, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      exec(t, "SELECT 1");
      exec(lock, "COMMIT");
      return lsn;
    } catch (SQLException e) {
      rollback(lock);
      if ("55P03".equals(e.getSQLState())) {
        throw new IllegalStateException("could not lock the selected tables on the source within 5s (a long"
            + " transaction holds a conflicting lock); validation will try again", e);
      }
      throw PgInventory.failure(locked ? "taking the consistent snapshot" : "locking the selected tables",
          locked ? target : source, e);
    } catch (RuntimeException e) {
      rollback(lock);
      throw e;
    }
  }

  private static void waitForSlot(Connection c, Connection t, String slot, String lsn, Duration catchUp)
      throws SQLException {
    long deadline = System.nanoTime() + catchUp.toNanos();
    while (true) {
      PgInventory.flushWal(t);
      String[] state = Sql.one(c,
          "SELECT (confirmed_flush_lsn IS NOT NULL AND confirmed_flush_lsn >= ?::pg_lsn)::text,"
              + " coalesce(confirmed_flush_lsn::text, 'none'),"
              + " coalesce(pg_wal_lsn_diff(?::pg_lsn, confirmed_flush_lsn)::bigint::text, '?')"
              + " FROM pg_replication_slots WHERE slot_name = ?",
          rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}, lsn, lsn, slot);
      if (state == null) {
        throw new MigrationException(FailureTypes.PREREQUISITE,
            "replication slot " + slot + " does not exist on the source, so the target is not receiving"
                + " changes; start the change stream again before validating");
      }
      if ("true".equals(state[0])) return;
      if (System.nanoTime() > deadline) {
        throw new MigrationException(FailureTypes.VALIDATION_FAILED,
            "the target did not catch up with the source within " + catchUp.toMillis() + "ms (slot " + slot
                + " confirmed " + state[1] + ", needed " + lsn + ", " + state[2] + " bytes behind); the write"
                + " pause was released; check that the subscription is enabled and its apply worker is not"
                + " failing (target server log), then validate again");
      }
      sleep(POLL_MILLIS);
    }
  }

  private record Checksum(long rows, String sum) {}

  private static Checksum checksum(Connection c, TableInfo table) throws SQLException {
    Boolean exists = Sql.one(c, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), PgInventory.quoted(table));
    if (exists == null || !exists) return new Checksum(0, "missing");
    // Row hashes are summed, not aggregated in order, so the checksum does not depend on physical row order.
    return Sql.one(c, "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text FROM "
        + PgInventory.quoted(table) + " t", rs -> new Checksum(rs.getLong(1), rs.getString(2)));
  }

  private List<String> schemaDifferences(PgTools.Installation inst, PgEndpoint source, PgEndpoint target,
      boolean subset, List<TableInfo> tables) {
    List<String> args = new ArrayList<>(List.of("--schema-only", "--no-owner", "--no-privileges",
        "--no-publications", "--no-subscriptions", "--exclude-schema=" + PgNames.BOOKKEEPING_SCHEMA));
    if (subset) args.addAll(PgInventory.tableArgs(tables));
    Set<String> src = new TreeSet<>(PgTools.schemaLines(dump(inst, source, args)));
    Set<String> tgt = new TreeSet<>(PgTools.schemaLines(dump(inst, target, args)));
    List<String> differences = new ArrayList<>();
    for (String line : src) if (!tgt.contains(line)) differences.add("missing on target: " + line.strip());
    for (String line : tgt) if (!src.contains(line)) differences.add("only on target: " + line.strip());
    return differences;
  }

  private String dump(PgTools.Installation inst, PgEndpoint on, List<String> args) {
    try {
      return tools.pgDump(inst, on, args);
    } catch (PgTools.ToolFailure e) {
      if (e.connectionProblem()) throw new IllegalStateException("dumping the " + on.role() + " schema: " + e.getMessage(), e);
      throw new MigrationException(FailureTypes.PREREQUISITE, "dumping the " + on.role() + " schema failed: "
          + e.stderr() + "; check that the " + on.role() + " user may read every selected table's definition", e);
    }
  }

  private static Void settings(Connection c) throws SQLException {
    for (String set : TEXT_SETTINGS) exec(c, set);
    return null;
  }

  private static Void exec(Connection c, String sql) throws SQLException {
    Sql.exec(c, sql);
    return null;
  }

  private static void rollback(Connection c) {
    try {
      Sql.exec(c, "ROLLBACK");
    } catch (SQLException e) {
      // Closing the connection right after ends the transaction and releases the lock anyway.
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the target to catch up", e);
    }
  }
}
