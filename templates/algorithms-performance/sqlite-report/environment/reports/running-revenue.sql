-- Revenue per day of 2024 from shipped orders (by the day they were placed), with the running
-- total since 1 January.
SELECT o.placed AS day, sum(l.qty * l.price_cents) AS revenue,
       (SELECT sum(l2.qty * l2.price_cents) FROM orders o2, order_lines l2
         WHERE l2.order_id = o2.id AND o2.status = 'shipped'
           AND o2.placed >= '2024-01-01' AND o2.placed <= o.placed) AS running_total
  FROM orders o, order_lines l
 WHERE l.order_id = o.id AND o.status = 'shipped' AND o.placed LIKE '2024-%'
 GROUP BY o.placed
 ORDER BY o.placed;
