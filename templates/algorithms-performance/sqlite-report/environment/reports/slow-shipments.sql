-- Shipped orders of 2024 that took longer to ship than the average shipped order of 2024 in
-- their customer's region, slowest first.
SELECT o.id, c.region, o.placed, o.shipped,
       julianday(o.shipped) - julianday(o.placed) AS days
  FROM orders o, customers c
 WHERE c.id = o.customer_id AND o.status = 'shipped' AND o.placed >= '2024-01-01'
   AND julianday(o.shipped) - julianday(o.placed) >
       (SELECT avg(julianday(o2.shipped) - julianday(o2.placed))
          FROM orders o2, customers c2
         WHERE c2.id = o2.customer_id AND c2.region = c.region
           AND o2.status = 'shipped' AND o2.placed >= '2024-01-01')
 ORDER BY days DESC, o.id
 LIMIT 200;
