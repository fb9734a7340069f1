package dev.phaseshift.engine.postgres;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application writing orders one by one to one side of a {@link PgPair}. Once that side refuses
 * writes (read-only), it moves to the other side and retries the same write there until it
 * succeeds, as an application would once its connection string or router is switched. Every write
 * it saw committed is recorded, and which side took it.
 */
final class MovingWriter extends Thread {
  volatile boolean stop;
  final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
  /** Writes committed on the side it started on. */
  final List<String> beforeMove = Collections.synchronizedList(new ArrayList<>());
  /** Writes committed on the side it moved to. */
  final AtomicInteger afterMove = new AtomicInteger();
  final AtomicInteger readOnlyErrors = new AtomicInteger();
  final AtomicReference<Throwable> failure = new AtomicReference<>();

  private final PgPair pair;
  private final String refPrefix;
  private volatile boolean onTarget;
  private volatile boolean moved;

  MovingWriter(PgPair pair, boolean startOnTarget, String refPrefix) {
    this.pair = pair;
    this.onTarget = startOnTarget;
    this.refPrefix = refPrefix;
  }

  @Override
  public void run() {
    Connection c = null;
    try {
      for (int n = 0; !stop; n++) {
        String ref = refPrefix + n;
        while (!stop) {
          boolean afterTheMove = moved;
          try {
            if (c == null) c = app(pair, onTarget);
            try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO orders (ref, amount) VALUES (?, ?) ON CONFLICT (ref) DO NOTHING")) {
              ps.setString(1, ref);
              ps.setInt(2, n);
              ps.executeUpdate();
            }
            acknowledged.add(ref);
            if (afterTheMove) afterMove.incrementAndGet();
            else beforeMove.add(ref);
            break;
          } catch (SQLException e) {
            if ("25006".equals(e.getSQLState()) && !moved) {
              readOnlyErrors.incrementAndGet();
              onTarget = !onTarget;
              moved = true;
            } else if ("25006".equals(e.getSQLState())) {
              // The side it moved to is not released yet: try again there.
              readOnlyErrors.incrementAndGet();
            }
            // Terminated sessions (57P01), and keys still taken until sequences are copied
            // (23505): reconnect and try the same write again.
            closeQuietly(c);
            c = null;
            Thread.sleep(5);
          }
        }
        Thread.sleep(2);
      }
    } catch (Throwable e) {
      failure.set(e);
    } finally {
      closeQuietly(c);
    }
  }

  /** How many of these writes (order refs) the side behind {@code c} holds. */
  static long present(Connection c, List<String> refs) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM orders WHERE ref = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", refs.toArray()));
      var rs = ps.executeQuery();
      rs.next();
      return rs.getLong(1);
    }
  }

  /** A session as the application opens it (its name lets the switchover tell it from ours). */
  static Connection app(PgPair pair, boolean target) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("ApplicationName", "shop-api");
    return DriverManager.getConnection((target ? pair.target : pair.source).jdbcUrl(PgPair.DATABASE), p);
  }

  private static void closeQuietly(Connection c) {
    try {
      if (c != null) c.close();
    } catch (SQLException ignored) {
      // The session is gone already.
    }
  }
}
