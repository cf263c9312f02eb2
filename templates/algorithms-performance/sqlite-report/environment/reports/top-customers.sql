-- The 20 customers with the highest revenue from shipped orders placed in the second quarter
-- of 2024 (revenue = sum of qty x price over their order lines), with their order count.
SELECT c.name, c.region,
       (SELECT count(*) FROM orders o
         WHERE o.customer_id = c.id AND o.status = 'shipped'
           AND o.placed >= '2024-04-01' AND o.placed < '2024-07-01') AS orders,
       (SELECT sum(l.qty * l.price_cents) FROM orders o, order_lines l
         WHERE l.order_id = o.id AND o.customer_id = c.id AND o.status = 'shipped'
           AND o.placed >= '2024-04-01' AND o.placed < '2024-07-01') AS revenue_cents
  FROM customers c
 WHERE revenue_cents IS NOT NULL
 ORDER BY revenue_cents DESC, c.name
 LIMIT 20;
