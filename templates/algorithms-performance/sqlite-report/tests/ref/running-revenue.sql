-- Reference for the sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
WITH daily AS (
    SELECT o.placed AS day, sum(l.qty * l.price_cents) AS revenue
      FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.status = 'shipped' AND o.placed LIKE '2024-%'
     GROUP BY o.placed
)
SELECT day, revenue, sum(revenue) OVER (ORDER BY day) AS running_total
  FROM daily
 ORDER BY day;
