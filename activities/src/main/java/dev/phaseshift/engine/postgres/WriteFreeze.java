package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lasting write freeze of one side: its database made read-only for every session started from
 * then on ({@code default_transaction_read_only}), which stops writes without a restart once the
 * open sessions are ended. It retires the side that lost writes, so it is set only at the end of a
 * move, while {@link SessionFreeze} holds writes (a setting in the catalog would outlive a worker
 * that died mid-move). Setting it, lifting it and checking for it happen here and nowhere else.
 */
final class WriteFreeze {
  private static final Logger log = LoggerFactory.getLogger(WriteFreeze.class);

  private WriteFreeze() {}

  /**
   * Lets this session write although its side may be frozen: our own session writes bookkeeping,
   * drops objects and lifts the freeze (ALTER DATABASE), even on a retry after the freeze began.
   */
  static void allowOwnWrites(Connection c) throws SQLException {
    Sql.exec(c, "SET default_transaction_read_only = off");
  }

  static void allowOwnWrites(PgSession on) {
    on.run("preparing the session", WriteFreeze::allowOwnWrites);
  }

  /** Makes the side's database read-only for every session started from now on. */
  static void retire(PgSession on) {
    on.exec("making the database read-only", "ALTER DATABASE " + Sql.ident(on.endpoint().database())
        + " SET default_transaction_read_only = on");
  }

  /** Lifts the freeze as part of the caller's transaction, so it commits with whatever else hands writes over. */
  static void lift(Connection c, PgEndpoint on) throws SQLException {
    Sql.exec(c, releaseStatement(on));
  }

  /** Lifts a write freeze after a failed move; the failure being handled is what gets reported. */
  static void releaseAfterFailure(PgSession on) {
    try {
      lift(on.connection(), on.endpoint());
    } catch (SQLException e) {
      throw new IllegalStateException("moving writes failed and releasing the write freeze on the "
          + on.endpoint().role() + " failed too (" + e.getMessage() + "); run " + releaseStatement(on.endpoint())
          + " on the " + on.endpoint().role(), e);
    }
  }

  /**
   * Lifts a freeze left on the side, if there is one: undo puts the source back as it was, and a
   * switchover that failed after freezing may have left it frozen.
   */
  static void releaseIfFrozen(Connection c, PgEndpoint on) throws SQLException {
    if (frozen(c)) {
      lift(c, on);
      log.info("released the write freeze of {}", on);
    }
  }

  /** Whether the session's database is read-only for new sessions by a database-wide setting. */
  static boolean frozen(Connection c) throws SQLException {
    return Boolean.TRUE.equals(Sql.one(c,
        "SELECT EXISTS (SELECT 1 FROM pg_db_role_setting r JOIN pg_database d ON d.oid = r.setdatabase"
            + " WHERE d.datname = current_database() AND r.setrole = 0"
            + " AND EXISTS (SELECT 1 FROM unnest(r.setconfig) cfg"
            + " WHERE lower(cfg) IN ('default_transaction_read_only=on',"
            + " 'default_transaction_read_only=true', 'default_transaction_read_only=1')))",
        rs -> rs.getBoolean(1)));
  }

  private static String releaseStatement(PgEndpoint on) {
    return "ALTER DATABASE " + Sql.ident(on.database()) + " RESET default_transaction_read_only";
  }
}
