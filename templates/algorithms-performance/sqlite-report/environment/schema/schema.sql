-- The shop database (production: about 50000 customers, 4000 products, 2 million orders).
CREATE TABLE customers (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    region  TEXT NOT NULL,
    created TEXT NOT NULL            -- YYYY-MM-DD
);
CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL
);
CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    placed      TEXT NOT NULL,       -- YYYY-MM-DD
    shipped     TEXT,                -- YYYY-MM-DD, NULL until shipped
    status      TEXT NOT NULL        -- 'open', 'shipped', 'cancelled'
);
CREATE TABLE order_lines (
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    qty         INTEGER NOT NULL,
    price_cents INTEGER NOT NULL
);
