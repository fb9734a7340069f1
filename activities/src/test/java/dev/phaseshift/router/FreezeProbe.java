package dev.phaseshift.router;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** What a test sees of the write freeze from outside: its locks, and when writes go through again. */
final class FreezeProbe {
  private FreezeProbe() {}

  /**
   * Table locks the freezing session holds on the server; watch from another database than the
   * migrated one, whose other sessions the switchover ends.
   */
  static long freezeLocks(Connection onServer) throws SQLException {
    try (Statement s = onServer.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            + " WHERE a.application_name = 'phaseshift freeze' AND l.granted AND l.mode = 'ExclusiveLock'"
            + " AND l.locktype = 'relation'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Milliseconds from {@code sinceNanos} until a shop write through PgBouncer commits; fails after {@code boundMillis}. */
  static long millisUntilWritable(PgBouncerProcess bouncer, String database, long sinceNanos, long boundMillis)
      throws InterruptedException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "5");
    long deadline = System.currentTimeMillis() + boundMillis;
    while (true) {
      try (Connection c = DriverManager.getConnection(bouncer.jdbcUrl(database), p);
          Statement s = c.createStatement()) {
        s.execute("UPDATE shop.products SET on_hand = on_hand + 1 WHERE sku = 1");
        return (System.nanoTime() - sinceNanos) / 1_000_000;
      } catch (SQLException e) {
        if (System.currentTimeMillis() > deadline) throw new AssertionError("no write possible: " + e.getMessage(), e);
        Thread.sleep(100);
      }
    }
  }
}
