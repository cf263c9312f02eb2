#!/usr/bin/env python3
"""gen.py DB [--scale N] [--seed S]: creates DB from schema/schema.sql and schema/indexes.sql and
fills it with synthetic shop data (scale 1: 2000 customers, 30000 orders)."""

import argparse
import datetime
import random
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["north", "south", "east", "west", "central", "islands"]
CATEGORIES = ["tea", "coffee", "cups", "kettles", "snacks", "gifts", "filters"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    con = sqlite3.connect(a.db)
    con.executescript((ROOT / "schema" / "schema.sql").read_text())
    con.executescript((ROOT / "schema" / "indexes.sql").read_text())
    n_cust, n_prod, n_ord = int(2000 * a.scale), int(800 * a.scale), int(30000 * a.scale)
    start = datetime.date(2023, 1, 1)
    day = lambda n: (start + datetime.timedelta(days=n)).isoformat()
    con.executemany("INSERT INTO customers VALUES (?,?,?,?)", [
        (i, f"Customer {i:05d}", rng.choice(REGIONS), day(rng.randint(0, 500))) for i in range(1, n_cust + 1)])
    con.executemany("INSERT INTO products VALUES (?,?,?,?,?)", [
        (i, f"SKU-{i:05d}", f"Product {i}", rng.choice(CATEGORIES), rng.randint(150, 9000))
        for i in range(1, n_prod + 1)])
    orders, lines = [], []
    for i in range(1, n_ord + 1):
        placed = rng.randint(0, 729)
        status = rng.choice(["shipped"] * 7 + ["open", "cancelled"])
        shipped = day(placed + rng.randint(0, 12)) if status == "shipped" else None
        orders.append((i, rng.randint(1, n_cust), day(placed), shipped, status))
        for _ in range(rng.randint(1, 5)):
            p = rng.randint(1, int(n_prod * 0.9))  # the last products are never sold
            lines.append((i, p, rng.randint(1, 6), rng.randint(150, 9000)))
    con.executemany("INSERT INTO orders VALUES (?,?,?,?,?)", orders)
    con.executemany("INSERT INTO order_lines VALUES (?,?,?,?)", lines)
    con.commit()
    con.close()


if __name__ == "__main__":
    main()
