-- Data contract v2: amounts are stored exactly as given, up to 4 decimal
-- places (never rounded to 2), and every rejected row carries its key so
-- whoever fixes the source can find it. A column with a CHECK cannot change
-- type in place: orders is rebuilt with the wider amount, rows kept in order.
CREATE TABLE orders_v2 (
    order_id      VARCHAR       NOT NULL,
    customer_id   VARCHAR       NOT NULL,
    touchpoint_id VARCHAR       NOT NULL,
    ordered_at    TIMESTAMP     NOT NULL,
    amount        DECIMAL(18,4) NOT NULL CHECK (amount >= 0)
);
INSERT INTO orders_v2 SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v2 RENAME TO orders;
ALTER TABLE rejected_rows ADD COLUMN row_key VARCHAR;
