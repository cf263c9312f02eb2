-- Products that have not sold since the start of 2024 (or never), with the day they last sold
-- (empty if never) and how many units they sold in total.
SELECT p.sku, p.category,
       (SELECT max(o.placed) FROM order_lines l, orders o
         WHERE l.order_id = o.id AND l.product_id = p.id AND o.status <> 'cancelled') AS last_sold,
       (SELECT coalesce(sum(l.qty), 0) FROM order_lines l, orders o
         WHERE l.order_id = o.id AND l.product_id = p.id AND o.status <> 'cancelled') AS units
  FROM products p
 WHERE last_sold IS NULL OR last_sold < '2024-01-01'
 ORDER BY p.category, p.sku;
