package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a write freeze learns that the other side has every change: a row it inserts into {@value
 * #NAME} on the frozen side once the application's sessions are gone, and then waits to see on the
 * other side. Waiting for the slot's confirmed position instead costs up to a {@code
 * wal_writer_delay} (200 ms by default), which is how often the apply worker reports progress.
 *
 * <p>Why the row's arrival means "every change": the sessions that wrote are ended and gone before
 * the insert, and the freeze's locks keep new ones off the migrated tables, so every application
 * commit has a commit record before the marker's. Logical decoding hands transactions to the
 * subscriber in commit order, and the apply worker applies and commits them one after the other in
 * that order (a streamed or parallel-applied large transaction also commits in order). So a reader
 * on the other side that sees the marker sees every earlier commit. The apply worker commits
 * asynchronously, so the caller makes the other side's WAL durable once after the row shows up.
 *
 * <p>The table lives in the bookkeeping schema on both sides: on the target through the versioned
 * migrations (V8), on the source made here when the forward publication is made. Both
 * publications include it, which {@link PgInventory} and the schema copies never see: they skip
 * the bookkeeping schema. A migration whose subscription predates the table (or a source where it
 * could not be made) has no usable marker; the freeze then waits for the slot's confirmed position
 * as before.
 */
final class FreezeMarker {
  private static final Logger log = LoggerFactory.getLogger(FreezeMarker.class);
  static final String NAME = "freeze_marker";
  static final String TABLE = Sql.qualified(PgNames.BOOKKEEPING_SCHEMA, NAME);
  /** The same definition as the target's migration V8__freeze_marker.sql; the apply worker matches columns by name. */
  private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS " + TABLE
      + " (token text PRIMARY KEY, migration text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())";
  /** The row usually arrives within a few milliseconds; each look is one index probe. */
  private static final long POLL_MILLIS = 2;

  private final String migration;

  private FreezeMarker(String migration) {
    this.migration = migration;
  }

  /** A marker written inside one freeze, and where the frozen side's WAL stood when it was inserted. */
  record Written(String token, String position) {}

  /**
   * Makes the marker table on the source before the forward publication is made. A source role
   * that may create publications may create schemas (both need CREATE on the database); when it
   * still fails (a schema of that name owned by someone else, say), the migration goes on with
   * the slower wait.
   *
   * @return whether the table is there to publish
   */
  static boolean ensureOnSource(Connection c) {
    try {
      Sql.exec(c, "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(PgNames.BOOKKEEPING_SCHEMA));
      Sql.exec(c, CREATE_TABLE);
      return true;
    } catch (SQLException e) {
      log.warn("cannot make the freeze marker table {} on the source ({}); the switchover will wait for the"
          + " subscriber's progress reports instead, which adds up to wal_writer_delay to the write freeze",
          TABLE, PgEndpoint.redact(e.getMessage()));
      return false;
    }
  }

  /**
   * The marker for a move from {@code from} to {@code to}, when both ends carry it: {@code
   * publication} on {@code from} includes the table and {@code subscription} on {@code to} has it
   * ready. Read before the freeze, so a missing marker costs the freeze nothing.
   */
  static Optional<FreezeMarker> find(PgSession from, PgSession to, String publication, String subscription,
      String migration) {
    Boolean published = from.one("looking for the freeze marker in the publication",
        "SELECT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = ? AND schemaname = ? AND tablename = ?)",
        rs -> rs.getBoolean(1), publication, PgNames.BOOKKEEPING_SCHEMA, NAME);
    Boolean subscribed = to.one("looking for the freeze marker in the subscription",
        "SELECT EXISTS (SELECT 1 FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
            + " WHERE s.subname = ? AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            + " AND r.srrelid = to_regclass(?) AND r.srsubstate = 'r')",
        rs -> rs.getBoolean(1), subscription, TABLE);
    if (Boolean.TRUE.equals(published) && Boolean.TRUE.equals(subscribed)) return Optional.of(new FreezeMarker(migration));
    log.info("migration {}: publication {} or subscription {} predates the freeze marker; the freeze waits for"
        + " the subscriber's progress reports", migration, publication, subscription);
    return Optional.empty();
  }

  /**
   * Inserts the marker on the frozen side and flushes its commit, which flushes every earlier
   * commit with it (the walsender sends only flushed WAL). {@code synchronous_commit = local}: a
   * synchronous standby of the frozen side has no say in what the subscriber receives.
   */
  Written write(PgSession from) {
    String token = UUID.randomUUID().toString();
    String position = from.inTransaction("writing the freeze marker", c -> {
      Sql.exec(c, "SET LOCAL synchronous_commit = local");
      return Sql.one(c, "INSERT INTO " + TABLE + " (token, migration) VALUES (?, ?)"
          + " RETURNING pg_current_wal_insert_lsn()::text", rs -> rs.getString(1), token, migration);
    });
    return new Written(token, position);
  }

  /** Waits until the other side shows the marker; false when {@code deadlineNanos} passed first. */
  boolean awaitApplied(Connection to, Written written, long deadlineNanos) throws SQLException {
    while (true) {
      if (Boolean.TRUE.equals(Sql.one(to, "SELECT EXISTS (SELECT 1 FROM " + TABLE + " WHERE token = ?)",
          rs -> rs.getBoolean(1), written.token()))) {
        return true;
      }
      if (System.nanoTime() > deadlineNanos) return false;
      Polling.sleep(POLL_MILLIS);
    }
  }

  /**
   * Removes the source's marker table once no publication includes it any more (another
   * migration from the same source may still use it), and the schema when nothing
   * else is in it.
   * A schema with a migration history is the bookkeeping of an earlier migration to this server,
   * whose versioned layout includes the table: it stays.
   */
  static void dropFromSource(Connection c) throws SQLException {
    String schema = PgNames.BOOKKEEPING_SCHEMA;
    if (Boolean.TRUE.equals(Sql.one(c, "SELECT to_regclass(?) IS NOT NULL", rs -> rs.getBoolean(1),
        Sql.qualified(schema, PgBookkeepingSchema.HISTORY_TABLE)))) {
      return;
    }
    Boolean used = Sql.one(c, "SELECT EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid = to_regclass(?))",
        rs -> rs.getBoolean(1), TABLE);
    if (Boolean.TRUE.equals(used)) return;
    Sql.exec(c, "DROP TABLE IF EXISTS " + TABLE);
    try {
      // Without CASCADE: anything else someone keeps there keeps the schema.
      Sql.exec(c, "DROP SCHEMA IF EXISTS " + Sql.ident(schema));
    } catch (SQLException e) {
      if (!"2BP01".equals(e.getSQLState())) throw e;
    }
  }
}
