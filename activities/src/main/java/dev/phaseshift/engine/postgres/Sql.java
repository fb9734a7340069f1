package dev.phaseshift.engine.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Small JDBC helpers so engine code reads as SQL, not boilerplate. */
public final class Sql {
  private Sql() {}

  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  public static <T> List<T> query(Connection c, String sql, RowMapper<T> mapper, Object... args)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) out.add(mapper.map(rs));
        return out;
      }
    }
  }

  public static <T> T one(Connection c, String sql, RowMapper<T> mapper, Object... args)
      throws SQLException {
    List<T> rows = query(c, sql, mapper, args);
    return rows.isEmpty() ? null : rows.get(0);
  }

  @FunctionalInterface
  public interface SqlCall<T> {
    T get() throws SQLException;
  }

  @FunctionalInterface
  public interface SqlAction {
    void run() throws SQLException;
  }

  /**
   * Runs work in one transaction and commits it; a failure rolls back and is rethrown. The
   * connection is in autocommit again afterwards either way.
   */
  public static <T> T inTransaction(Connection c, SqlCall<T> work) throws SQLException {
    c.setAutoCommit(false);
    try {
      T result = work.get();
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      quietly(c::rollback);
      throw e;
    } finally {
      quietly(() -> c.setAutoCommit(true));
    }
  }

  /** For clean-up after a failure: the original failure says more than a second one would. */
  public static void quietly(SqlAction action) {
    try {
      action.run();
    } catch (SQLException e) {
      // Reported through the failure being handled.
    }
  }

  public static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Double-quotes an identifier, as PostgreSQL's quote_ident does. */
  public static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  public static String qualified(String schema, String table) {
    return ident(schema) + "." + ident(table);
  }

  public static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
