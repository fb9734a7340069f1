package dev.phaseshift.engine.postgres;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client whose connection string still names the old database after the switchover (a batch
 * job nobody redeployed): it keeps a session there and tries to write every 200 ms.
 */
final class StaleWriter extends Thread implements AutoCloseable {
  final AtomicInteger acknowledged = new AtomicInteger();
  final AtomicInteger refused = new AtomicInteger();
  private final PgPair pair;
  private volatile boolean stop;

  StaleWriter(PgPair pair) {
    super("legacy-batch");
    this.pair = pair;
  }

  @Override
  public void run() {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("ApplicationName", "legacy-batch");
    Connection c = null;
    try {
      for (int n = 0; !stop; n++) {
        try {
          if (c == null) c = DriverManager.getConnection(pair.source.jdbcUrl(PgPair.DATABASE), p);
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (ref, amount) VALUES (?, 2)")) {
            ps.setString(1, "stale-" + n);
            ps.executeUpdate();
            acknowledged.incrementAndGet();
          }
        } catch (SQLException e) {
          if ("25006".equals(e.getSQLState())) {
            refused.incrementAndGet();
          } else {
            close(c);
            c = null;
          }
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close(c);
    }
  }

  private static void close(Connection c) {
    try {
      if (c != null) c.close();
    } catch (SQLException ignored) {
      // Gone already.
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    if (isAlive()) join();
  }
}
