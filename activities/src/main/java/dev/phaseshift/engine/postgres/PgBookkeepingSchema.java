package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.exception.FlywayValidateException;

/**
 * The schema on the target in which Phaseshift keeps its own bookkeeping ({@value
 * PgNames#BOOKKEEPING_SCHEMA}: the copy ledger, the switchover and rollback records, verify's test
 * writes). Its layout is versioned by the Flyway migrations in {@code db/phaseshift}, with
 * Flyway's history table inside the schema: dropping the schema (decommission, undo, dropping the
 * target's objects) drops the history with it, and the next use starts from the first migration.
 *
 * <p>A target left by a Phaseshift from before the migrations has some of the tables and no
 * history. It is baselined at version 0 and goes through every migration; they find their objects
 * possibly in place (IF NOT EXISTS), so the rows in an existing ledger stay.
 */
public final class PgBookkeepingSchema {
  static final String HISTORY_TABLE = "flyway_schema_history";
  private static final String LOCATION = "classpath:db/phaseshift";

  /** The worker process's: every engine call on a target goes through this one. */
  private static final PgBookkeepingSchema WORKER = new PgBookkeepingSchema();

  /** Targets (host:port/database) this process brought to its layout, with the layout's version. */
  private final Map<String, String> current = new ConcurrentHashMap<>();
  private final Map<String, Object> migrating = new ConcurrentHashMap<>();

  /** A process of its own; tests use several to play separate workers. */
  PgBookkeepingSchema() {}

  /**
   * Brings the target's bookkeeping schema to this version's layout before it is used. Flyway
   * runs once per target in a worker process, on connections of its own; later calls cost one
   * catalog lookup on {@code open}, which notices a schema dropped since (by undo, say, or by
   * another worker). Concurrent first uses wait for each other: in one process here, across
   * workers on Flyway's lock in the target.
   *
   * @param open a session on {@code target}; Flyway does not use it
   * @return how many migrations this call applied
   */
  public static int ensure(PgEndpoint target, Connection open) throws SQLException {
    return WORKER.bringUpToDate(target, open);
  }

  int bringUpToDate(PgEndpoint target, Connection open) throws SQLException {
    String key = target.host() + ":" + target.port() + "/" + target.database();
    if (upToDate(open, current.get(key))) return 0;
    synchronized (migrating.computeIfAbsent(key, k -> new Object())) {
      if (upToDate(open, current.get(key))) return 0;
      Flyway flyway = flyway(target);
      int applied = migrate(flyway, target);
      current.put(key, flyway.info().current().getVersion().getVersion());
      return applied;
    }
  }

  /**
   * Whether the history records {@code version} as applied. Not just whether the history exists:
   * after a drop (undo, a new migration replacing a rolled-back copy) another worker may be
   * creating the schema anew, and its history shows the first migrations before the last one
   * committed (each migration commits with its history row).
   */
  private static boolean upToDate(Connection open, String version) throws SQLException {
    if (version == null) return false;
    String history = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, HISTORY_TABLE);
    if (!Boolean.TRUE.equals(Sql.one(open, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1), history))) {
      return false;
    }
    return Boolean.TRUE.equals(Sql.one(open, "SELECT EXISTS (SELECT 1 FROM " + history
        + " WHERE version = ? AND success)", rs -> rs.getBoolean(1), version));
  }

  private static Flyway flyway(PgEndpoint target) {
    // The class's own loader: an activity thread's context loader need not see the worker's jar.
    return Flyway.configure(PgBookkeepingSchema.class.getClassLoader())
        .dataSource(new PgEndpointDataSource(target))
        .locations(LOCATION)
        .schemas(PgNames.BOOKKEEPING_SCHEMA)
        .table(HISTORY_TABLE)
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .baselineDescription("bookkeeping from before versioned migrations")
        .load();
  }

  private static int migrate(Flyway flyway, PgEndpoint target) throws SQLException {
    try {
      return flyway.migrate().migrationsExecuted;
    } catch (FlywayValidateException e) {
      throw new MigrationException(FailureTypes.PREREQUISITE, "the bookkeeping schema " + PgNames.BOOKKEEPING_SCHEMA
          + " on the " + target + " does not match this version's migrations (" + e.getMessage()
          + "); it was changed by hand or by another build", e);
    } catch (FlywayException e) {
      // What the target said (read-only, no privilege, unreachable) reads better than Flyway's wrapping.
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        if (cause instanceof SQLException sql) throw sql;
        if (cause instanceof RuntimeException engine && !(cause instanceof FlywayException)) throw engine;
      }
      throw new IllegalStateException("bringing the bookkeeping schema " + PgNames.BOOKKEEPING_SCHEMA
          + " on the " + target + " up to date failed: " + e.getMessage(), e);
    }
  }
}
