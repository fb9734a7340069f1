package dev.phaseshift.engine.postgres;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application on one side of a {@link PgPair}: looks orders up by reference (its top statement)
 * and writes one order every few lookups, on whichever side its connection string names. A write
 * the side refuses (read-only) is not retried; it waits until the test points it elsewhere.
 */
final class ShopApi extends Thread implements AutoCloseable {
  final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger onTargetWrites = new AtomicInteger();
  final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final PgPair pair;
  private volatile boolean onTarget;
  private volatile boolean refused;
  private volatile boolean stop;

  private ShopApi(PgPair pair) {
    super("shop-api");
    this.pair = pair;
  }

  static ShopApi start(PgPair pair) {
    ShopApi app = new ShopApi(pair);
    app.start();
    return app;
  }

  /** Points the application's connection string at the target (or back at the source). */
  void moveTo(boolean target) {
    onTarget = target;
    refused = false;
  }

  @Override
  public void run() {
    Connection c = null;
    boolean connectedToTarget = false;
    try {
      for (int n = 0; !stop; n++) {
        try {
          if (c == null || connectedToTarget != onTarget) {
            if (c != null) c.close();
            connectedToTarget = onTarget;
            c = MovingWriter.app(pair, connectedToTarget);
          }
          try (PreparedStatement ps = c.prepareStatement("SELECT amount FROM orders WHERE ref = ?")) {
            ps.setString(1, "seed-" + ThreadLocalRandom.current().nextInt(1, 100_000));
            ps.executeQuery().close();
          }
          if (n % 10 == 0 && !refused) write(c, connectedToTarget, "api-" + n);
        } catch (SQLException e) {
          // Sessions the switchover or the rollback ended: connect again.
          if (c != null) c.close();
          c = null;
          Thread.sleep(20);
        }
        Thread.sleep(1);
      }
    } catch (Throwable e) {
      failure.set(e);
    } finally {
      try {
        if (c != null) c.close();
      } catch (SQLException ignored) {
        // Gone already.
      }
    }
  }

  private void write(Connection c, boolean target, String ref) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (ref, amount) VALUES (?, 1)")) {
      ps.setString(1, ref);
      ps.executeUpdate();
      acknowledged.add(ref);
      if (target) onTargetWrites.incrementAndGet();
    } catch (SQLException e) {
      if (!"25006".equals(e.getSQLState())) throw e;
      refused = true;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    join();
  }
}
