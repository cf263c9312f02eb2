-- Reference for the sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
WITH q AS (
    SELECT o.customer_id, count(DISTINCT o.id) AS orders, sum(l.qty * l.price_cents) AS revenue_cents
      FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.status = 'shipped' AND o.placed >= '2024-04-01' AND o.placed < '2024-07-01'
     GROUP BY o.customer_id
)
SELECT c.name, c.region, q.orders, q.revenue_cents
  FROM q JOIN customers c ON c.id = q.customer_id
 ORDER BY q.revenue_cents DESC, c.name
 LIMIT 20;
