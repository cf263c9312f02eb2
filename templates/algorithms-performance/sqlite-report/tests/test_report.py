# Sealed tests of algorithms-performance/sqlite-report. canary: SYNTH-CANARY-944629d5c49098b6
"""Builds fresh shop databases (schema, then the workspace's schema/indexes.sql, then data),
runs the workspace's report with the sqlite3 shell and compares its output with the reference
query's. Counts the report's virtual machine steps (`.stats vmstep`) and compares them with
the reference solution's (tests/ref: indexes and query) on the same data."""

import datetime
import hashlib
import os
import random
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
REF = Path(__file__).parent / "ref"
REPORT = os.environ["SYNTH_PARAM_REPORT"]
SCHEMA_SHA = "03ed52e2388f89136a4a1a2c277d4dbebce6888b536ee922614a3f3e16d8ed75"
FACTOR, SLACK = 3, 20000
REGIONS = ["north", "south", "east", "west", "central", "islands"]
CATEGORIES = ["tea", "coffee", "cups", "kettles", "snacks", "gifts", "filters"]
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LC_ALL": "C"}
INDEX_STATEMENT = re.compile(
    r"CREATE\s+(UNIQUE\s+)?INDEX\s+(IF\s+NOT\s+EXISTS\s+)?[\"\w]+\s+ON\s+[\"\w]+\s*\(.*", re.I | re.S)


def strip_comments(sql):
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    return re.sub(r"--[^\n]*", " ", sql)


def sqlite(db, sql_text, *cmds, readonly=True, timeout=120):
    args = ["sqlite3", "-batch", "-bail"] + (["-readonly"] if readonly else [])
    for c in cmds:
        args += ["-cmd", c]
    return subprocess.run(args + [str(db)], input=sql_text, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def build_db(path, indexes_sql, seed, scale):
    schema = (WORKSPACE / "schema" / "schema.sql").read_text()
    res = sqlite(path, schema + "\n" + indexes_sql, readonly=False)
    assert res.returncode == 0, res.stderr
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    n_cust, n_prod, n_ord = max(5, int(2000 * scale)), max(5, int(800 * scale)), max(20, int(30000 * scale))
    start = datetime.date(2023, 1, 1)
    day = lambda n: (start + datetime.timedelta(days=n)).isoformat()
    names = rng.sample(range(100000), n_cust)
    con.executemany("INSERT INTO customers VALUES (?,?,?,?)", [
        (i, f"Customer {names[i - 1]:05d}", rng.choice(REGIONS), day(rng.randint(0, 500)))
        for i in range(1, n_cust + 1)])
    con.executemany("INSERT INTO products VALUES (?,?,?,?,?)", [
        (i, f"SKU-{i:05d}-{rng.randint(0, 9)}", f"Product {i}", rng.choice(CATEGORIES), rng.randint(150, 9000))
        for i in range(1, n_prod + 1)])
    orders, lines = [], []
    for i in range(1, n_ord + 1):
        placed = rng.randint(0, 729)
        status = rng.choice(["shipped"] * 7 + ["open", "cancelled"])
        shipped = day(placed + rng.randint(0, 12)) if status == "shipped" else None
        orders.append((i, rng.randint(1, n_cust), day(placed), shipped, status))
        for _ in range(rng.randint(1, 5)):
            lines.append((i, rng.randint(1, int(n_prod * 0.9)), rng.randint(1, 6), rng.randint(150, 9000)))
    order = list(range(len(orders)))
    rng.shuffle(order)
    con.executemany("INSERT INTO orders VALUES (?,?,?,?,?)", [orders[i] for i in order])
    rng.shuffle(lines)
    con.executemany("INSERT INTO order_lines VALUES (?,?,?,?)", lines)
    con.commit()
    con.close()


def run_report(db, sql_text, step_limit):
    res = sqlite(db, sql_text, ".stats vmstep", f".progress 100000 --quiet --limit {step_limit // 100000 + 1}")
    rows = [line for line in res.stdout.splitlines() if not line.startswith("VM-steps: ")]
    steps = sum(int(m) for m in re.findall(r"^VM-steps: (\d+)$", res.stdout, re.M))
    return res, rows, steps


@pytest.fixture(scope="module")
def candidate_indexes():
    return (WORKSPACE / "schema" / "indexes.sql").read_text()


@pytest.fixture(scope="module")
def report_sql():
    return (WORKSPACE / "reports" / f"{REPORT}.sql").read_text()


def test_schema_unchanged():
    assert hashlib.sha256((WORKSPACE / "schema" / "schema.sql").read_bytes()).hexdigest() == SCHEMA_SHA


def test_indexes_file_only_creates_indexes(candidate_indexes):
    for stmt in strip_comments(candidate_indexes).split(";"):
        if stmt.strip():
            assert INDEX_STATEMENT.fullmatch(stmt.strip()), f"not a CREATE INDEX statement: {stmt.strip()[:200]}"


@pytest.mark.parametrize("seed,scale", [(11, 0.5), (None, 0.5), (5, 0.02), (None, 0.1)])
def test_report_output_and_cost(tmp_path, candidate_indexes, report_sql, seed, scale):
    seed = random.randrange(1 << 30) if seed is None else seed
    ref_db, cand_db = tmp_path / "ref.db", tmp_path / "candidate.db"
    build_db(ref_db, (REF / "indexes.sql").read_text(), seed, scale)
    build_db(cand_db, candidate_indexes, seed, scale)
    res, expected, ref_steps = run_report(ref_db, (REF / f"{REPORT}.sql").read_text(), 10 ** 9)
    assert res.returncode == 0, res.stderr
    limit = FACTOR * ref_steps + SLACK
    res, rows, steps = run_report(cand_db, report_sql, 20 * limit)
    assert res.returncode == 0, f"the report failed or ran past {20 * limit} VM steps: {res.stderr[-500:]}"
    assert rows == expected, f"output differs from the current report's (seed {seed}, scale {scale})"
    print(f"{REPORT} scale {scale}: {steps} VM steps, reference {ref_steps}")
    assert steps <= limit, f"{steps} VM steps; the reference takes {ref_steps} (allowed {limit})"
