package dev.phaseshift.demo;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A small shop database with the column types migrations trip over: numeric, text, jsonb, bytea,
 * timestamptz, arrays, an enum, a foreign key and an append-only table without a primary key.
 */
public final class SampleData {
  /** Rows per MiB of the orders table, measured on PostgreSQL 15; the other tables follow it. */
  private static final int ORDER_ROWS_PER_MIB = 4_500;

  private SampleData() {}

  /** Creates and fills the tables; {@code megabytes} is the approximate total size. */
  public static void load(Connection c, int megabytes) throws SQLException {
    int orders = Math.max(1_000, megabytes * ORDER_ROWS_PER_MIB * 60 / 100);
    int customers = Math.max(100, orders / 5);
    int documents = Math.max(50, megabytes * 15);
    int events = Math.max(500, orders / 2);
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled')");
      s.execute("""
          CREATE TABLE customers (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL UNIQUE,
            balance numeric(14,2) NOT NULL DEFAULT 0,
            tags text[] NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now())""");
      s.execute("""
          CREATE TABLE orders (
            id bigserial PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES customers(id),
            status order_status NOT NULL DEFAULT 'new',
            total numeric(12,2) NOT NULL CHECK (total >= 0),
            items jsonb NOT NULL,
            placed_at timestamptz NOT NULL DEFAULT now(),
            note text,
            version int NOT NULL DEFAULT 1)""");
      s.execute("CREATE INDEX orders_customer_idx ON orders (customer_id)");
      s.execute("CREATE INDEX orders_open_idx ON orders (placed_at) WHERE status IN ('new', 'paid')");
      s.execute("""
          CREATE TABLE documents (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            order_id bigint REFERENCES orders(id) ON DELETE SET NULL,
            title text NOT NULL,
            body bytea NOT NULL,
            pages smallint[] NOT NULL)""");
      // An append-only log without a primary key: REPLICA IDENTITY FULL lets it be replicated.
      s.execute("""
          CREATE TABLE events (
            load_id uuid,
            at timestamptz NOT NULL DEFAULT now(),
            kind text NOT NULL,
            payload jsonb,
            amount double precision)""");
      s.execute("ALTER TABLE events REPLICA IDENTITY FULL");

      s.execute("INSERT INTO customers (name, email, balance, tags, created_at) SELECT 'Customer ' || i,"
          + " 'customer' || i || '@example.com', round((random() * 10000)::numeric, 2),"
          + " ARRAY['tier' || (i % 4), 'region' || (i % 7)], now() - (i || ' minutes')::interval"
          + " FROM generate_series(1, " + customers + ") i");
      s.execute("INSERT INTO orders (customer_id, status, total, items, placed_at, note) SELECT"
          + " 1 + (i % " + customers + "), (ARRAY['new','paid','shipped','cancelled']::order_status[])[1 + i % 4],"
          + " round((random() * 500)::numeric, 2),"
          + " jsonb_build_object('sku', 'SKU-' || (i % 9973), 'qty', 1 + i % 5, 'gift', i % 11 = 0,"
          + "   'lines', jsonb_build_array(jsonb_build_object('p', i % 97, 'q', 2))),"
          + " now() - (i || ' seconds')::interval,"
          + " CASE WHEN i % 3 = 0 THEN repeat('note ' || i, 3) END"
          + " FROM generate_series(1, " + orders + ") i");
      s.execute("INSERT INTO documents (order_id, title, body, pages) SELECT"
          + " 1 + (i * 7 % " + orders + "), 'Invoice ' || i,"
          + " decode(repeat(md5(i::text) || md5((i * 31)::text), 60), 'hex'),"
          + " ARRAY[1, 2, (i % 30)::smallint]"
          + " FROM generate_series(1, " + documents + ") i");
      s.execute("INSERT INTO events (at, kind, payload, amount) SELECT now() - (i || ' seconds')::interval,"
          + " (ARRAY['login','view','cart','checkout'])[1 + i % 4], jsonb_build_object('session', md5(i::text)),"
          + " i * 0.25 FROM generate_series(1, " + events + ") i");
      s.execute("ANALYZE");
    }
  }

  public static long databaseBytes(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         var rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
