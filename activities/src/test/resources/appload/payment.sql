-- A payment for one of the latest orders: order first, then the payment row, then the customer.
\set back random(0, 100)
BEGIN;
UPDATE shop.orders SET status = 'paid'
  WHERE id = (SELECT id FROM shop.orders WHERE id <= (SELECT max(id) - :back FROM shop.orders) ORDER BY id DESC LIMIT 1)
  RETURNING id AS order_id, customer_id AS customer, total AS amount \gset
INSERT INTO shop.payments (order_id, amount) VALUES (:order_id, :amount);
UPDATE shop.customers SET balance = balance + :amount WHERE id = :customer;
END;
