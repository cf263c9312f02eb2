-- Reference for the sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);
CREATE INDEX orders_customer ON orders (customer_id);
