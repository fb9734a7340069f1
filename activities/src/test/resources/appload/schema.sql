-- The application a migration must not disturb: a small shop whose every transaction writes
-- several tables, in different orders, behind foreign keys that are checked at commit.
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN shop.quantity AS integer CHECK (VALUE > 0);
CREATE TABLE shop.customers (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  balance numeric(14,2) NOT NULL DEFAULT 0);
CREATE TABLE shop.products (
  sku integer PRIMARY KEY,
  title text NOT NULL,
  on_hand integer NOT NULL);
CREATE SEQUENCE shop.order_ids;
CREATE TABLE shop.orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers DEFERRABLE INITIALLY DEFERRED,
  status shop.order_status NOT NULL DEFAULT 'new',
  total numeric(14,2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE shop.order_lines (
  order_id bigint NOT NULL REFERENCES shop.orders DEFERRABLE INITIALLY DEFERRED,
  line integer NOT NULL,
  sku integer NOT NULL REFERENCES shop.products,
  quantity shop.quantity NOT NULL,
  PRIMARY KEY (order_id, line));
CREATE SEQUENCE shop.payment_ids;
CREATE TABLE shop.payments (
  id bigint PRIMARY KEY DEFAULT nextval('shop.payment_ids'),
  order_id bigint NOT NULL REFERENCES shop.orders DEFERRABLE INITIALLY DEFERRED,
  amount numeric(14,2) NOT NULL,
  paid_at timestamptz NOT NULL DEFAULT now());
ALTER SEQUENCE shop.payment_ids OWNED BY shop.payments.id;

INSERT INTO shop.customers SELECT i, 'customer ' || i, 1000 FROM generate_series(1, 10000) i;
INSERT INTO shop.products SELECT i, 'product ' || i, 1000000 FROM generate_series(1, 1000) i;
-- Enough orders that a payment always finds one to pay.
INSERT INTO shop.orders (id, customer_id, total)
  SELECT nextval('shop.order_ids'), 1 + i % 10000, 10 FROM generate_series(1, 200) i;
