-- Reference for the sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
WITH sold AS (
    SELECT l.product_id, max(o.placed) AS last_sold, sum(l.qty) AS units
      FROM order_lines l JOIN orders o ON o.id = l.order_id
     WHERE o.status <> 'cancelled'
     GROUP BY l.product_id
)
SELECT p.sku, p.category, s.last_sold, coalesce(s.units, 0)
  FROM products p LEFT JOIN sold s ON s.product_id = p.id
 WHERE s.last_sold IS NULL OR s.last_sold < '2024-01-01'
 ORDER BY p.category, p.sku;
