# Oracle for algorithms-performance/sqlite-report: run in /workspace by the agent's shell.
# Adds indexes on the foreign keys the reports join on (order_lines.order_id,
# order_lines.product_id, orders.customer_id) and rewrites the report without correlated
# subqueries: one grouped pass joined back (top-customers, dormant-products), a window
# function for the running total, the regional averages computed once in a CTE.
cd /workspace &&
cat > schema/indexes.sql <<'SQL' &&
-- Secondary indexes, applied after schema.sql when a database is created (before any data is
-- loaded). Only CREATE INDEX statements belong here.
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);
CREATE INDEX orders_customer ON orders (customer_id);
SQL
case "$SYNTH_PARAM_REPORT" in
    top-customers)
        cat > reports/top-customers.sql <<'SQL'
-- The 20 customers with the highest revenue from shipped orders placed in the second quarter
-- of 2024 (revenue = sum of qty x price over their order lines), with their order count.
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
SQL
        ;;
    dormant-products)
        cat > reports/dormant-products.sql <<'SQL'
-- Products that have not sold since the start of 2024 (or never), with the day they last sold
-- (empty if never) and how many units they sold in total.
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
SQL
        ;;
    running-revenue)
        cat > reports/running-revenue.sql <<'SQL'
-- Revenue per day of 2024 from shipped orders (by the day they were placed), with the running
-- total since 1 January.
WITH daily AS (
    SELECT o.placed AS day, sum(l.qty * l.price_cents) AS revenue
      FROM orders o JOIN order_lines l ON l.order_id = o.id
     WHERE o.status = 'shipped' AND o.placed LIKE '2024-%'
     GROUP BY o.placed
)
SELECT day, revenue, sum(revenue) OVER (ORDER BY day) AS running_total
  FROM daily
 ORDER BY day;
SQL
        ;;
    slow-shipments)
        cat > reports/slow-shipments.sql <<'SQL'
-- Shipped orders of 2024 that took longer to ship than the average shipped order of 2024 in
-- their customer's region, slowest first.
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
SQL
        ;;
esac &&
python3 tools/gen.py /tmp/oracle.db --scale 0.2 --seed 3 2>/dev/null; sqlite3 -readonly -batch -cmd ".stats vmstep" /tmp/oracle.db < "reports/$SYNTH_PARAM_REPORT.sql" | tail -3; rm -f /tmp/oracle.db
