-- A new order: its lines are written before the order they belong to (the foreign key is checked at
-- commit), then stock and the customer's balance. Customers are always the last rows locked, in
-- every script, so the application's own transactions cannot deadlock one another.
\set customer random(1, 10000)
\set sku random(1, 1000)
\set other random(1, 1000)
\set quantity random(1, 5)
BEGIN;
SELECT nextval('shop.order_ids') AS order_id \gset
INSERT INTO shop.order_lines (order_id, line, sku, quantity) VALUES (:order_id, 1, :sku, :quantity), (:order_id, 2, :other, 1);
UPDATE shop.products SET on_hand = on_hand - :quantity WHERE sku = :sku;
INSERT INTO shop.orders (id, customer_id, total) VALUES (:order_id, :customer, :quantity * 10 + 10);
UPDATE shop.customers SET balance = balance - (:quantity * 10 + 10) WHERE id = :customer;
END;
