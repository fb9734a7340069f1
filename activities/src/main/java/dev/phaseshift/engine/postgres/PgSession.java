package dev.phaseshift.engine.postgres;

import dev.phaseshift.engine.MigrationException;
import dev.phaseshift.workflow.FailureTypes;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One side of the migration with its open session. Runs SQL there and turns a database error into
 * the failure an operator can act on, naming the side and what was being done.
 */
final class PgSession implements AutoCloseable {
  /** Work on the session's connection that may fail with a database error. */
  @FunctionalInterface
  interface Work<T> {
    T on(Connection c) throws SQLException;
  }

  /** {@link Work} without a result. */
  @FunctionalInterface
  interface Action {
    void on(Connection c) throws SQLException;
  }

  private final PgEndpoint endpoint;
  private final Connection connection;

  private PgSession(PgEndpoint endpoint, Connection connection) {
    this.endpoint = endpoint;
    this.connection = connection;
  }

  /** Connects; connection failures become a readable prerequisite failure (see {@link PgEndpoint#connect}). */
  static PgSession open(PgEndpoint endpoint) {
    return new PgSession(endpoint, endpoint.connect());
  }

  PgEndpoint endpoint() {
    return endpoint;
  }

  /** The raw connection, for code that handles database errors itself. */
  Connection connection() {
    return connection;
  }

  /** Runs work on this side, turning a database error into the right failure for it. */
  <T> T call(String doing, Work<T> work) {
    try {
      return work.on(connection);
    } catch (SQLException e) {
      throw failure(doing, endpoint, e);
    }
  }

  void run(String doing, Action action) {
    call(doing, c -> {
      action.on(c);
      return null;
    });
  }

  void exec(String doing, String sql) {
    run(doing, c -> Sql.exec(c, sql));
  }

  <T> List<T> query(String doing, String sql, Sql.RowMapper<T> mapper, Object... args) {
    return call(doing, c -> Sql.query(c, sql, mapper, args));
  }

  <T> T one(String doing, String sql, Sql.RowMapper<T> mapper, Object... args) {
    return call(doing, c -> Sql.one(c, sql, mapper, args));
  }

  /**
   * Runs work in one transaction and commits it; a failure rolls back. The session is in
   * autocommit again afterwards either way.
   */
  <T> T inTransaction(String doing, Work<T> work) {
    return call(doing, c -> Sql.inTransaction(c, () -> work.on(c)));
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw failure("closing connections", endpoint, e);
    }
  }

  @Override
  public String toString() {
    return endpoint.toString();
  }

  /**
   * Turns a database error into the right failure: missing privileges or objects will not fix
   * themselves, anything else (a dropped connection, a lock timeout) is worth a retry.
   */
  static RuntimeException failure(String doing, PgEndpoint on, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String what = doing + " on the " + on + " failed: " + e.getMessage();
    if (state.equals("42501")) {
      return new MigrationException(FailureTypes.PREREQUISITE,
          what + "; grant the plan's " + on.role() + " user the needed privileges (a superuser or the"
              + " database owner with REPLICATION works)", e);
    }
    if (state.startsWith("42") || state.startsWith("28") || state.startsWith("3D")) {
      return new MigrationException(FailureTypes.PREREQUISITE,
          what + "; check that the " + on.role() + " database is the one the plan means", e);
    }
    return new IllegalStateException(what, e);
  }
}
