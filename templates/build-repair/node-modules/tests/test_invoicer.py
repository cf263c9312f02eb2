# Sealed tests of build-repair/node-modules. canary: SYNTH-CANARY-3bb3280db2933f2c
"""Runs the invoicer command and the package's API (imported by name from another package) on
the sample orders and on generated ones, and compares with an independent implementation of
README.md. The vendored JavaScript, the package's tests and its data must be unchanged."""

import hashlib
import json
import random
import re
import subprocess
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
NODE = "/usr/bin/node"
PRISTINE = {
    "node_modules/@acme/money/lib/format.js": "c861a644a30c2de54fe29ca0a083c52b32e0a2924721da238dc3ddfe3c3fcf00",
    "node_modules/@acme/money/lib/index.js": "1922fb94f178e7899b77140a51a5ba147071f3883a2b918245a2a8cae3ee51e5",
    "node_modules/@acme/ledger/index.js": "e27ffd1dc79caae58ec76846215ed934272000783032a94477c48accdfad19ae",
    "node_modules/tabular/index.js": "5ba47545e2dc2b6340a397a4884034fda44f92daea23c82b4425afa95f5122f7",
    "test/render.test.js": "786f0a657f63b9e2871921375f48fba6c081a7ca00a6a5a7c7f041c47ee38e2b",
    "src/rates.json": "26f942c5feeafcd66be8da3730855e53d61d98882705d5d7143da26288ba06e3",
    "data/order-1042.json": "f76ebe59d903314c9cec061873f45f5e04a3904927ff933527d3e0b107cec31d",
    "data/order-1043.json": "ec89f04de4b5d0d69570e7002811071bdbf49fc993aeca7db5c10e002c203070",
}
RATES = {"AT": "20", "BE": "21", "DE": "19", "ES": "21", "FR": "20", "IE": "23", "LU": "17",
         "NL": "21", "PT": "23", "CH": "8.1", "FR-REDUCED": "5.5", "DE-REDUCED": "7"}
NAMES = ["Paper A4, 500 sheets", "Toner", "Café crème 1kg", "Stapler", "USB-C cable 2 m",
         "Desk lamp \"Nordlys\"", "Notebook", "Ergonomic office chair with headrest", "Pen",
         "Éclair box", "Whiteboard markers (4)", "Label printer tape 12mm"]


def env(tmp_path):
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}


def cents(text):
    m = re.fullmatch(r"(-?)(\d+)(?:\.(\d{1,2}))?", text)
    c = int(m[2]) * 100 + int((m[3] or "0").ljust(2, "0"))
    return -c if m[1] else c


def money(c):
    return f"{'-' if c < 0 else ''}{abs(c) // 100}.{abs(c) % 100:02d}"


def percent(c, rate):
    whole, _, frac = rate.partition(".")
    num, den = int(whole + frac), 100 * 10 ** len(frac)
    q = (abs(c) * num * 2 + den) // (2 * den)
    return -q if c < 0 else q


def table(rows, aligns):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(r, widths, aligns)]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def expected_invoice(order):
    cur = order.get("currency", "EUR")
    rows = [["qty", "item", "unit price", "amount"]]
    subtotal = 0
    for line in order["lines"]:
        unit = cents(line["unit_price"])
        amount = unit * line["qty"]
        subtotal += amount
        rows.append([str(line["qty"]), line["name"], money(unit), money(amount)])
    out = [f"INVOICE {order['number']}", f"Customer: {order['customer']}", "",
           table(rows, "rlrr"), "", f"Subtotal: {money(subtotal)} {cur}"]
    net = subtotal
    if order.get("discount"):
        d = order["discount"]
        off = percent(subtotal, d["percent"])
        net = subtotal - off
        out.append(f"Discount {d['code']} ({d['percent']}%): {money(-off)} {cur}")
    rate = RATES[order["region"]]
    vat = percent(net, rate)
    out.append(f"VAT {order['region']} {rate}%: {money(vat)} {cur}")
    out.append(f"Total: {money(net + vat)} {cur}")
    return "\n".join(out) + "\n"


def random_order(rng):
    lines = []
    for _ in range(rng.randint(1, 9)):
        c = rng.randint(1, 250000)
        price = f"{c // 100}.{c % 100:02d}"
        if c % 100 == 0 and rng.random() < 0.5:
            price = str(c // 100)
        elif c % 10 == 0 and rng.random() < 0.5:
            price = price[:-1]
        lines.append({"sku": f"S{rng.randint(100, 999)}", "name": rng.choice(NAMES),
                      "qty": rng.randint(1, 250), "unit_price": price})
    order = {"number": f"INV-{rng.randint(2020, 2030)}-{rng.randint(1, 99999):05d}",
             "customer": rng.choice(["Jane Roe", "Müller & Söhne GmbH", "ACME", "O'Neil Ltd"]),
             "region": rng.choice(sorted(RATES)), "lines": lines}
    if rng.random() < 0.5:
        order["currency"] = rng.choice(["EUR", "CHF", "USD"])
    if rng.random() < 0.6:
        order["discount"] = {"code": rng.choice(["SPRING", "LOYAL", "B2B"]) + str(rng.randint(1, 99)),
                             "percent": rng.choice(["5", "10", "12.5", "3.75", "33", "0"])}
    return order


def run_cli(path, tmp_path):
    return subprocess.run([NODE, str(WORKSPACE / "bin" / "invoicer.js"), str(path)], cwd=tmp_path,
                          env=env(tmp_path), capture_output=True, text=True, timeout=60)


def test_protected_files_unchanged():
    for rel, digest in PRISTINE.items():
        assert hashlib.sha256((WORKSPACE / rel).read_bytes()).hexdigest() == digest, f"{rel} was changed"


def test_package_tests_pass(tmp_path):
    res = subprocess.run([NODE, "--test", "test/"], cwd=WORKSPACE, env=env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert re.search(r"^# pass 3$", res.stdout, re.M), res.stdout[-2000:]


@pytest.mark.parametrize("name", ["order-1042.json", "order-1043.json"])
def test_sample_orders(tmp_path, name):
    path = WORKSPACE / "data" / name
    res = run_cli(path, tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == "", res.stderr
    assert res.stdout == expected_invoice(json.loads(path.read_text()))


@pytest.mark.parametrize("seed", range(3))
def test_generated_orders(tmp_path, seed):
    rng = random.Random(seed if seed < 2 else None)
    for i in range(6):
        order = random_order(rng)
        path = tmp_path / f"order {i}.json"
        path.write_text(json.dumps(order, ensure_ascii=rng.random() < 0.5))
        res = run_cli(path, tmp_path)
        assert res.returncode == 0, res.stderr
        assert res.stderr == "", res.stderr
        assert res.stdout == expected_invoice(order), json.dumps(order)


def test_api_imported_by_name(tmp_path):
    consumer = tmp_path / "consumer"
    (consumer / "node_modules").mkdir(parents=True)
    (consumer / "node_modules" / "invoicer").symlink_to(WORKSPACE)
    (consumer / "package.json").write_text('{"name": "consumer", "type": "module", "private": true}\n')
    orders = [random_order(random.Random()) for _ in range(3)]
    (consumer / "orders.json").write_text(json.dumps(orders))
    (consumer / "main.js").write_text(
        "import { readFileSync } from 'node:fs';\n"
        "import * as inv from 'invoicer';\n"
        "const orders = JSON.parse(readFileSync(new URL('./orders.json', import.meta.url), 'utf8'));\n"
        "console.log(JSON.stringify({ keys: Object.keys(inv).sort(), currency: inv.DEFAULT_CURRENCY,\n"
        "  rate: inv.taxRate('CH'), texts: orders.map((o) => inv.renderInvoice(o)) }));\n")
    res = subprocess.run([NODE, "main.js"], cwd=consumer, env=env(tmp_path), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert {"DEFAULT_CURRENCY", "renderInvoice", "taxRate"} <= set(got["keys"])
    assert got["currency"] == "EUR" and got["rate"] == "8.1"
    assert got["texts"] == [expected_invoice(o) for o in orders]


def test_invalid_orders_are_refused(tmp_path):
    good = random_order(random.Random(7))
    bad_region = dict(good, region="XX")
    bad_qty = dict(good, lines=[dict(good["lines"][0], qty=0)])
    bad_price = dict(good, lines=[dict(good["lines"][0], unit_price="1.234")])
    for i, order in enumerate([bad_region, bad_qty, bad_price]):
        path = tmp_path / f"bad{i}.json"
        path.write_text(json.dumps(order))
        res = run_cli(path, tmp_path)
        assert res.returncode == 1, (order, res.stdout)
        assert res.stdout == ""
        assert res.stderr.startswith(f"invoicer: {path}: "), res.stderr
