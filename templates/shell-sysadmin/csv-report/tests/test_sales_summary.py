# Sealed tests of shell-sysadmin/csv-report. canary: SYNTH-CANARY-a0a89e140924aa1d
"""Runs /workspace/bin/sales-summary.sh on the sample export and on fresh generated ones and
compares its output byte for byte with an independent implementation of the spec."""

import hashlib
import os
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

SCRIPT = Path("/workspace/bin/sales-summary.sh")
SAMPLE = Path("/workspace/data/sales")
SEP = os.environ["SYNTH_PARAM_DELIMITER"]
COLUMNS = ["date", "store", "product", "units", "unit_price"]
PRODUCTS = [
    "Espresso beans 1kg", "Decaf beans 500g", "Paper filters", "Oat milk 1l", "Ceramic mug",
    "Travel mug", "Hand grinder", "Milk frother", "Descaler", "Gift card", "Croissant",
    "Almond biscotti", "Cold brew bottle", "Chai syrup",
]


def expected_summary(folder):
    """The spec, implemented independently of any shell tool."""
    units, cents = {}, {}
    for path in sorted(Path(folder).glob("*.csv")):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        lines = text.split("\n")
        header = lines[0].split(SEP)
        for line in lines[1:]:
            if not line.strip() or line.startswith("#"):
                continue
            row = dict(zip(header, line.split(SEP)))
            n = int(row["units"])
            price = int(Decimal(row["unit_price"]) * 100)
            units[row["product"]] = units.get(row["product"], 0) + n
            cents[row["product"]] = cents.get(row["product"], 0) + n * price

    def money(c):
        sign = "-" if c < 0 else ""
        return f"{sign}{abs(c) // 100}.{abs(c) % 100:02d}"

    out = [SEP.join(["product", "units", "revenue"])]
    for p in sorted(units, key=lambda p: (-cents[p], p.encode())):
        out.append(SEP.join([p, str(units[p]), money(cents[p])]))
    out.append(SEP.join(["TOTAL", str(sum(units.values())), money(sum(cents.values()))]))
    return "\n".join(out) + "\n"


def run(input_dir, output, cwd="/tmp"):
    return subprocess.run(
        [str(SCRIPT), str(input_dir), str(output)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def tree_digest(folder):
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        h.update(str(p).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def price_text(rng, cents):
    text = f"{cents // 100}.{cents % 100:02d}"
    if cents % 100 == 0 and rng.random() < 0.5:
        return str(cents // 100)
    if cents % 10 == 0 and rng.random() < 0.5:
        return text[:-1]
    return text


def write_export(folder, rng):
    """A fresh export with every quirk of FORMAT.md, plus files that must be ignored."""
    folder.mkdir(parents=True)
    stores = ["north", "south", "station", "harbour", "campus"]
    prices = {p: rng.randint(50, 6000) for p in PRODUCTS}
    for store in rng.sample(stores, rng.randint(3, 5)):
        for day in ("2024-07-01", "2024-07-02"):
            cols = COLUMNS[:]
            rng.shuffle(cols)
            crlf, bom = rng.random() < 0.5, rng.random() < 0.4
            lines = [SEP.join(cols)]
            for _ in range(rng.randint(3, 12)):
                r = rng.random()
                if r < 0.1:
                    lines.append("# till message: drawer opened")
                    continue
                if r < 0.2:
                    lines.append(rng.choice(["", "   "]))
                    continue
                product = rng.choice(PRODUCTS)
                n = rng.randint(1, 15) * (-1 if rng.random() < 0.15 else 1)
                cents = prices[product] if rng.random() < 0.8 else rng.randint(50, 6000)
                row = {"date": day, "store": store, "product": product, "units": str(n),
                       "unit_price": price_text(rng, cents)}
                lines.append(SEP.join(row[c] for c in cols))
            eol = "\r\n" if crlf else "\n"
            data = (eol.join(lines) + eol).encode()
            (folder / f"{day}_{store}.csv").write_bytes(b"\xef\xbb\xbf" + data if bom else data)
    # Two products with equal revenue: the order between them is by name.
    tie = SEP.join(["date", "store", "product", "units", "unit_price"])
    tie_rows = [SEP.join(["2024-07-02", "kiosk", name, "3", "4.10"]) for name in ("Tea B", "Tea A")]
    (folder / "2024-07-02_kiosk.csv").write_text("\n".join([tie, *tie_rows]) + "\n")
    # Decoys.
    (folder / "2024-07-01_north.csv.bak").write_text(tie + "\n" + SEP.join(
        ["2024-07-01", "north", "Gift card", "99", "25"]) + "\n")
    (folder / "README.txt").write_text("uploaded by the tills\n")
    (folder / "archive").mkdir()
    (folder / "archive" / "2024-06-30_north.csv").write_text(tie + "\n" + SEP.join(
        ["2024-06-30", "north", "Gift card", "7", "25"]) + "\n")


def test_script_exists_and_is_executable():
    assert SCRIPT.is_file(), f"{SCRIPT} does not exist"
    assert os.access(SCRIPT, os.X_OK), f"{SCRIPT} is not executable"
    assert SCRIPT.read_bytes().startswith(b"#!"), "no #! line"


def test_sample_export(tmp_path):
    before = tree_digest(SAMPLE)
    out = tmp_path / "summary.csv"
    res = run(SAMPLE, out)
    assert res.returncode == 0, res.stderr
    assert out.read_text() == expected_summary(SAMPLE)
    assert tree_digest(SAMPLE) == before, "the script modified its input"


@pytest.mark.parametrize("seed", range(4))
def test_fresh_exports(tmp_path, seed):
    rng = random.Random(seed if seed < 2 else None)
    folder = tmp_path / "till exports" / f"batch {seed}"
    write_export(folder, rng)
    before = tree_digest(folder)
    out = tmp_path / "out dir" / "summary.csv"
    out.parent.mkdir()
    res = run(folder, out, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert out.read_bytes().decode() == expected_summary(folder)
    assert tree_digest(folder) == before, "the script modified its input"


def test_rerun_overwrites(tmp_path):
    out = tmp_path / "summary.csv"
    out.write_text("stale\n" * 100)
    res = run(SAMPLE, out)
    assert res.returncode == 0, res.stderr
    assert out.read_text() == expected_summary(SAMPLE)


def test_empty_export(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing today\n")
    out = tmp_path / "summary.csv"
    res = run(folder, out)
    assert res.returncode == 0, res.stderr
    assert out.read_text() == f"product{SEP}units{SEP}revenue\nTOTAL{SEP}0{SEP}0.00\n"


def test_missing_input_dir(tmp_path):
    out = tmp_path / "summary.csv"
    res = run(tmp_path / "no-such-dir", out)
    assert res.returncode != 0
    assert res.stderr.strip(), "no message on stderr"
    assert not out.exists()


def test_sample_copy_elsewhere(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SAMPLE, copy)
    out = tmp_path / "summary.csv"
    res = run(copy, out, cwd="/")
    assert res.returncode == 0, res.stderr
    assert out.read_text() == expected_summary(SAMPLE)
