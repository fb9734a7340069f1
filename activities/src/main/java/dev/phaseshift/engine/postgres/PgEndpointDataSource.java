package dev.phaseshift.engine.postgres;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * An endpoint as the {@link DataSource} that Flyway asks for: each connection is opened by
 * {@link PgEndpoint#connect}, so the password is read from its reference as for every other
 * session and appears in no URL or log line, and failures read as the engine's own.
 */
final class PgEndpointDataSource implements DataSource {
  private final PgEndpoint endpoint;

  PgEndpointDataSource(PgEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection c = endpoint.connect();
    try {
      // A database frozen by a switchover or left read-only by a rollback starts every session
      // read-only; the bookkeeping is written there all the same, as by the engine's own sessions.
      Sql.exec(c, "SET default_transaction_read_only = off");
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("connections use the plan's " + endpoint.role() + " credentials");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("no java.util.logging here");
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) return type.cast(this);
    throw new SQLException("not a wrapper of " + type.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }
}
