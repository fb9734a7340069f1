package dev.phaseshift.demo;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application writing to the shop while it is migrated: inserts, updates and deletes orders and
 * appends events. Every write the database acknowledged is remembered with the state it left, so
 * afterwards we can prove none was lost. A failed write (frozen source, ended session) is not
 * acknowledged; the load reconnects to whatever {@link #primary} says and carries on, as an
 * application behind a connection switch would.
 */
public final class WriteLoad implements AutoCloseable {
  /** What an acknowledged order write left behind; {@code null} status means deleted. */
  record OrderState(String status, int version) {}

  public record Result(long acknowledgedWrites, long failedWrites, long missingOnTarget, List<String> examples) {}

  private final AtomicReference<String> primary;
  private final int threads;
  private final long maxCustomerId;
  private final Map<Long, OrderState> orders = new ConcurrentHashMap<>();
  private final Map<UUID, Boolean> events = new ConcurrentHashMap<>();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running = true;

  public WriteLoad(AtomicReference<String> primary, int threads, long maxCustomerId) {
    this.primary = primary;
    this.threads = threads;
    this.maxCustomerId = maxCustomerId;
  }

  public void start() {
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::loop, "write-load-" + i);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
  }

  public long acknowledged() {
    return acknowledged.get();
  }

  public long failed() {
    return failed.get();
  }

  private void loop() {
    Connection c = null;
    List<Long> mine = new ArrayList<>();
    while (running) {
      try {
        if (c == null || c.isClosed()) c = DriverManager.getConnection(primary.get(), "postgres", "");
        writeOnce(c, mine);
        Thread.sleep(2);
      } catch (SQLException e) {
        failed.incrementAndGet();
        closeQuietly(c);
        c = null;
        sleep(50);
      } catch (InterruptedException e) {
        break;
      }
    }
    closeQuietly(c);
  }

  private void writeOnce(Connection c, List<Long> mine) throws SQLException {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    int op = r.nextInt(10);
    if (op < 4 || mine.size() < 10) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (customer_id, total, items, note)"
          + " VALUES (?, ?, ?::jsonb, 'load') RETURNING id")) {
        ps.setLong(1, 1 + r.nextLong(maxCustomerId));
        ps.setBigDecimal(2, java.math.BigDecimal.valueOf(r.nextInt(100_000), 2));
        ps.setString(3, "{\"sku\": \"LOAD-" + r.nextInt(1000) + "\", \"qty\": 1}");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long id = rs.getLong(1);
          orders.put(id, new OrderState("new", 1));
          mine.add(id);
        }
      }
    } else if (op < 7) {
      long id = mine.get(r.nextInt(mine.size()));
      OrderState before = orders.get(id);
      if (before == null || before.status() == null) return;
      String status = before.status().equals("new") ? "paid" : "shipped";
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE orders SET status = ?::order_status, version = version + 1 WHERE id = ? RETURNING version")) {
        ps.setString(1, status);
        ps.setLong(2, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) orders.put(id, new OrderState(status, rs.getInt(1)));
        }
      }
    } else if (op < 8) {
      long id = mine.remove(r.nextInt(mine.size()));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
        ps.setLong(1, id);
        ps.executeUpdate();
        orders.put(id, new OrderState(null, 0));
      } catch (SQLException e) {
        mine.add(id);
        throw e;
      }
    } else {
      UUID id = UUID.randomUUID();
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO events (load_id, kind, payload, amount) VALUES (?, 'load', '{\"by\": \"demo\"}', ?)")) {
        ps.setObject(1, id);
        ps.setDouble(2, r.nextDouble());
        ps.executeUpdate();
        events.put(id, Boolean.TRUE);
      }
    }
    acknowledged.incrementAndGet();
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : workers) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Checks every acknowledged write against a database (the new primary, after the migration). */
  public Result verifyOn(String jdbcUrl) throws SQLException {
    long missing = 0;
    List<String> examples = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
      Map<Long, OrderState> actual = new ConcurrentHashMap<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, status::text, version FROM orders WHERE id = ANY(?)")) {
        ps.setArray(1, c.createArrayOf("bigint", orders.keySet().toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) actual.put(rs.getLong(1), new OrderState(rs.getString(2), rs.getInt(3)));
        }
      }
      for (var e : orders.entrySet()) {
        OrderState want = e.getValue();
        OrderState got = actual.get(e.getKey());
        boolean ok = want.status() == null ? got == null : want.equals(got);
        if (!ok) {
          missing++;
          if (examples.size() < 5) examples.add("order " + e.getKey() + ": expected " + want + ", found " + got);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT load_id FROM events WHERE load_id = ANY(?)")) {
        ps.setArray(1, c.createArrayOf("uuid", events.keySet().toArray()));
        java.util.Set<Object> found = new java.util.HashSet<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) found.add(rs.getObject(1));
        }
        for (UUID id : events.keySet()) {
          if (!found.contains(id)) {
            missing++;
            if (examples.size() < 5) examples.add("event " + id + " missing");
          }
        }
      }
    }
    return new Result(acknowledged.get(), failed.get(), missing, examples);
  }

  private static void closeQuietly(Connection c) {
    try {
      if (c != null) c.close();
    } catch (SQLException ignored) {
      // the session is gone either way
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
