package dev.phaseshift.engine.postgres;

import static dev.phaseshift.engine.postgres.PgTestSupport.exec;

import dev.phaseshift.testing.PgPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The copy tests' table and application: {@code public.orders} with {@link #ROWS} rows on the
 * source (empty on the target, without its key), and a writer that inserts, updates and deletes
 * orders one small transaction at a time, so the table grows and changes while it is copied.
 */
final class OrdersUnderWrites {
  static final int ROWS = 60_000;
  static final String ORDERS = "CREATE TABLE public.orders (id bigint NOT NULL, customer int,"
      + " total numeric(12,2), status text, placed timestamptz, lines jsonb)";

  private OrdersUnderWrites() {}

  /** Creates the table on both servers and fills it on the source. */
  static void create(PgPair pair) throws Exception {
    try (Connection s = pair.source()) {
      exec(s, ORDERS, "ALTER TABLE orders ADD PRIMARY KEY (id)",
          "INSERT INTO orders SELECT g, g % 1000, g / 7.0, 'open',"
              + " timestamptz '2024-06-01 00:00:00+00' + g * interval '1 minute',"
              + " jsonb_build_array(jsonb_build_object('sku', md5(g::text), 'qty', g % 9))"
              + " FROM generate_series(1, " + ROWS + ") g",
          "ANALYZE orders");
    }
    try (Connection t = pair.target()) {
      exec(t, ORDERS);
    }
  }

  /** Starts the application's writes on the source; new orders get ids above a million. */
  static StreamTesting.Writer start(PgPair pair) {
    AtomicLong nextId = new AtomicLong(1_000_000);
    return new StreamTesting.Writer(StreamTesting.sourceOf(pair), (c, random) -> {
      try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO orders VALUES (?, 1, 9.99, 'new', now(), '[]')");
          PreparedStatement upd = c.prepareStatement(
              "UPDATE orders SET status = 'paid', total = total + 1, lines = lines || '[1]' WHERE id = ?");
          PreparedStatement del = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
        ins.setLong(1, nextId.incrementAndGet());
        ins.executeUpdate();
        upd.setLong(1, 1 + random.nextLong(ROWS));
        upd.executeUpdate();
        del.setLong(1, 1 + random.nextLong(ROWS));
        del.executeUpdate();
      }
    });
  }
}
