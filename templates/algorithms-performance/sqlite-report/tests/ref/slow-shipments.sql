-- Reference for the sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
WITH shipped AS (
    SELECT o.id, c.region, o.placed, o.shipped, julianday(o.shipped) - julianday(o.placed) AS days
      FROM orders o JOIN customers c ON c.id = o.customer_id
     WHERE o.status = 'shipped' AND o.placed >= '2024-01-01'
),
avg_days AS (SELECT region, avg(days) AS avg_days FROM shipped GROUP BY region)
SELECT s.id, s.region, s.placed, s.shipped, s.days
  FROM shipped s JOIN avg_days a ON a.region = s.region
 WHERE s.days > a.avg_days
 ORDER BY s.days DESC, s.id
 LIMIT 200;
