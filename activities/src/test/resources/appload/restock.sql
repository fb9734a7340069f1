-- Restocking touches one product in a transaction of its own.
\set sku random(1, 1000)
UPDATE shop.products SET on_hand = on_hand + 100 WHERE sku = :sku;
