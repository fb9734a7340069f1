package dev.phaseshift.fleet;

import dev.phaseshift.embedded.EmbeddedPostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fleet's applications under a light load: one thread inserting, in turn, a row into each
 * database's {@code writes} table, on the source until the test moves that application to the
 * target (as an operator restarts it there before confirming the connection switch). A row counts
 * as written only once its insert committed; a failed insert is tried again with the same id.
 */
final class FleetWrites implements AutoCloseable {
  /** One application: its database on both sides and what it has written. */
  static final class App {
    final String name;
    final EmbeddedPostgresServer source;
    final EmbeddedPostgresServer target;
    final String database;
    final Set<Long> acked = ConcurrentHashMap.newKeySet();
    volatile boolean onTarget;
    long nextId = 1;
    Connection connection;
    boolean connectedToTarget;

    App(String name, EmbeddedPostgresServer source, EmbeddedPostgresServer target, String database) {
      this.name = name;
      this.source = source;
      this.target = target;
      this.database = database;
    }

    void writeOne() {
      try {
        if (connection == null || connectedToTarget != onTarget) {
          closeConnection();
          connectedToTarget = onTarget;
          connection = (onTarget ? target : source).connect(database);
          connection.setNetworkTimeout(Runnable::run, 5_000);
        }
        try (PreparedStatement s = connection.prepareStatement("INSERT INTO writes (id) VALUES (?)")) {
          s.setLong(1, nextId);
          s.executeUpdate();
        }
        acked.add(nextId++);
      } catch (SQLException e) {
        // 23505: the row arrived already (replicated after a commit whose answer was lost): it was written.
        if ("23505".equals(e.getSQLState())) acked.add(nextId++);
        closeConnection();
      }
    }

    void closeConnection() {
      try {
        if (connection != null) connection.close();
      } catch (SQLException ignored) {
        // a connection the freeze or the switchover ended
      }
      connection = null;
    }
  }

  private final List<App> apps;
  private final Thread thread;
  private volatile boolean running = true;

  FleetWrites(List<App> apps) {
    this.apps = apps;
    thread = new Thread(this::loop, "fleet-writes");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      for (App app : apps) {
        if (!running) return;
        app.writeOne();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  long total() {
    return apps.stream().mapToLong(a -> a.acked.size()).sum();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(30_000);
    apps.forEach(App::closeConnection);
  }
}
