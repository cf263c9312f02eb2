# Sealed tests of bug-fixing/inventory-rounding. canary: SYNTH-CANARY-f0d1827f926c097c
"""The valuation must follow the README's money rules for any input; nothing else may change."""

import csv
import random
import subprocess
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
PYTHON = "/usr/bin/python3"
CENT = Decimal("0.01")
STEP = Decimal("0.0001")

SAMPLE_REPORT = """\
SKU       NAME                            QTY    UNIT COST         VALUE
A-100     Hex bolt M8x40                  500       0.1163         58.15
A-110     Hex nut M8                      565       0.0425         24.01
A-120     Washer M8 zinc                  335       0.0150          5.03
B-200     Cable tie 200mm (100)            27       3.4500         93.15
B-210     Heat shrink kit                   7      11.4000         79.80
C-300     Nitrile gloves L (box)           27       8.0611        217.65
C-310     Safety glasses clear             37       2.1050         77.89
D-400     Masking tape 48mm                21       1.8750         39.38
D-410     Cleaning wipes (tub)             24       4.3400        104.16
TOTAL                                                             699.22
"""


def run_cli(*args):
    return subprocess.run(
        [PYTHON, "-m", "inventory", *map(str, args)],
        cwd=WORKSPACE,
        capture_output=True,
        text=True,
        timeout=60,
    )


def expected_lines(movements):
    """Independent implementation of the README's rules: [(sku, qty, unit_cost, value)]."""
    pos = {}
    for sku, kind, qty, cost in movements:
        q, c = pos.get(sku, (0, Decimal(0)))
        if kind == "receive":
            c = ((q * c + qty * cost) / (q + qty)).quantize(STEP, ROUND_HALF_UP)
            q += qty
        else:
            q -= qty
        pos[sku] = (q, c)
    return [
        (sku, q, c, (q * c).quantize(CENT, ROUND_HALF_UP))
        for sku, (q, c) in sorted(pos.items())
        if q
    ]


def random_journal(rng, n_items):
    skus = [f"R-{i:03d}" for i in range(n_items)]
    movements, on_hand = [], {s: 0 for s in skus}
    for _ in range(n_items * 5):
        sku = rng.choice(skus)
        if on_hand[sku] and rng.random() < 0.35:
            qty = rng.randint(1, on_hand[sku])
            movements.append((sku, "issue", qty, None))
            on_hand[sku] -= qty
        else:
            qty = rng.randint(1, 400)
            cost = Decimal(rng.randint(1, 250000)) / 10000
            movements.append((sku, "receive", qty, cost))
            on_hand[sku] += qty
    return skus, movements


def tricky_journal():
    """A random journal on which both wrong roundings (per line and for the total) show."""
    for seed in range(1000):
        rng = random.Random(seed * 7919 + 17)
        skus, movements = random_journal(rng, rng.randint(8, 20))
        lines = expected_lines(movements)
        half_even = [(q * c).quantize(CENT, ROUND_HALF_EVEN) for _, q, c, _ in lines]
        line_bug = any(v != e for v, (_, _, _, e) in zip(half_even, lines))
        raw_total = sum((q * c for _, q, c, _ in lines), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
        total_bug = raw_total != sum((v for *_, v in lines), Decimal(0))
        if line_bug and total_bug:
            return skus, movements, lines
    raise AssertionError("no tricky journal found")


def write_journal(tmp_path, skus, movements):
    items = tmp_path / "items.csv"
    with open(items, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "category"])
        for s in skus:
            w.writerow([s, f"Random part {s}", "random"])
    journal = tmp_path / "movements.csv"
    with open(journal, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "sku", "kind", "quantity", "unit_cost"])
        for i, (sku, kind, qty, cost) in enumerate(movements):
            w.writerow([f"2024-05-{1 + i % 28:02d}", sku, kind, qty, "" if cost is None else cost])
    return items, journal


def test_sample_report_matches_finance():
    out = run_cli("report", "data/items.csv", "data/movements.csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout == SAMPLE_REPORT


def test_round_cents_is_half_away_from_zero():
    from inventory.money import round_cents

    cases = {
        "0.125": "0.13",
        "0.135": "0.14",
        "2.675": "2.68",
        "5.025": "5.03",
        "-0.125": "-0.13",
        "0.1249": "0.12",
        "7": "7.00",
    }
    for raw, want in cases.items():
        got = round_cents(Decimal(raw))
        assert got == Decimal(want) and str(got) == want, (raw, got)


@pytest.mark.parametrize("attempt", range(3))
def test_fresh_journals_follow_the_rules(tmp_path, attempt):
    from inventory.report import build_report

    if attempt == 0:
        skus, movements, lines = tricky_journal()
    else:
        rng = random.Random()
        skus, movements = random_journal(rng, rng.randint(5, 25))
        lines = expected_lines(movements)
    items, journal = write_journal(tmp_path, skus, movements)
    report = build_report(str(items), str(journal))
    got = [(x.sku, x.quantity, x.unit_cost, x.value) for x in report.lines]
    assert got == lines
    assert report.total == sum((v for *_, v in lines), Decimal(0))

    out = run_cli("report", items, journal)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    printed = [Decimal(r.split()[-1].replace(",", "")) for r in rows[1:-1]]
    assert printed == [v for *_, v in lines]
    assert rows[-1].startswith("TOTAL")
    assert Decimal(rows[-1].split()[-1].replace(",", "")) == sum(printed, Decimal(0))


def test_unit_costs_and_ledger_unchanged():
    from inventory.ledger import InsufficientStock, Ledger

    ledger = Ledger(["X"])
    ledger.receive("X", 1, Decimal("1.0000"))
    ledger.receive("X", 1, Decimal("1.0001"))
    assert ledger.positions["X"].unit_cost == Decimal("1.0001")  # 1.00005, half up
    ledger.receive("X", 2, Decimal("0.99985"))
    assert ledger.positions["X"].unit_cost == Decimal("1.0000")  # 0.999975 -> 1.0000
    ledger.issue("X", 3)
    assert ledger.positions["X"].quantity == 1
    assert ledger.positions["X"].unit_cost == Decimal("1.0000")
    with pytest.raises(InsufficientStock):
        ledger.issue("X", 2)
    assert ledger.positions["X"].quantity == 1


def test_formatting_unchanged():
    from inventory.money import format_amount, format_unit_cost

    assert format_amount(Decimal("1234.5")) == "1,234.50"
    assert format_amount(Decimal("1234567.005")) == "1,234,567.01"
    assert format_amount(Decimal("-0.125")) == "-0.13"
    assert format_unit_cost(Decimal("0.11625")) == "0.1163"


def test_errors_unchanged(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("sku,name,category\nX-1,Thing,misc\n")
    journal = tmp_path / "movements.csv"
    journal.write_text(
        "date,sku,kind,quantity,unit_cost\n2024-01-01,X-1,receive,2,1.50\n2024-01-02,X-1,issue,3,\n"
    )
    out = run_cli("report", items, journal)
    assert out.returncode == 1
    assert out.stderr.startswith("error:") and "only 2 on hand" in out.stderr
    journal.write_text("date,sku,kind,quantity,unit_cost\n2024-01-01,Y-9,receive,2,1.50\n")
    out = run_cli("report", items, journal)
    assert out.returncode == 1 and ":2: unknown sku Y-9" in out.stderr
    journal.write_text("date,sku,kind,quantity,unit_cost\n\n2024-01-01,X-1,receive,2,1.505\n")
    out = run_cli("report", items, journal)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].split() == ["X-1", "Thing", "2", "1.5050", "3.01"]
    assert out.stdout.splitlines()[-1].split() == ["TOTAL", "3.01"]


def test_packaged_tests_still_pass():
    out = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=WORKSPACE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
