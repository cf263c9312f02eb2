# Sealed tests of build-repair/go-module. canary: SYNTH-CANARY-60d1b52afb2f573d
"""Builds a copy of /workspace offline with Go 1.19, in vendor mode and module mode, checks that
vendor/ is what `go mod vendor` makes, and compares the built shipcalc with an independent
implementation of README.md's pricing on the sample and on generated tariffs and parcels."""

import csv
import hashlib
import io
import json
import random
import shutil
import string
import subprocess
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
PRISTINE = {
    "third_party/units/units.go": "10f117f45431cc6df3aace3dd59771b484f72c75e0a719d87994d54ed2b1047a",
    "third_party/units/money/money.go": "3f4a293d5a57acea2146cafcb0a386ba6e5be1667aea21ebdbde287c2764ae0d",
    "data/parcels.csv": "573afc00acf6ecc00f5ffa3d0f63f9e3e1f4732e2c7e5e651db6f749bd5172d9",
    "data/tariff.csv": "922d8babe890a4d0bc42330adbdb153ac7cd6512267adcb71ef1d1292223e292",
}


@pytest.fixture(scope="session")
def gohome(tmp_path_factory):
    return tmp_path_factory.mktemp("gohome")


def go_env(gohome, mod="vendor"):
    return {
        "PATH": "/usr/lib/go/bin:/usr/bin:/bin",
        "HOME": str(gohome),
        "GOCACHE": str(gohome / "cache"),
        "GOPATH": str(gohome / "path"),
        "GOMODCACHE": str(gohome / "path" / "pkg" / "mod"),
        "TMPDIR": str(gohome),
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOFLAGS": f"-mod={mod}",
        "CGO_ENABLED": "0",
        "GO111MODULE": "on",
    }


def copy_workspace(dest):
    def ignore(folder, names):
        top = Path(folder) == WORKSPACE
        return [n for n in names if n == ".git" or (top and n == "shipcalc")]

    shutil.copytree(WORKSPACE, dest, symlinks=True, ignore=ignore)
    return dest


def go(project, env, *args, check=True):
    res = subprocess.run(["go", *args], cwd=project, env=env, capture_output=True, text=True,
                         timeout=300)
    if check:
        assert res.returncode == 0, f"go {' '.join(args)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="session")
def binary(tmp_path_factory, gohome):
    project = copy_workspace(tmp_path_factory.mktemp("build") / "shipcalc-src")
    out = tmp_path_factory.mktemp("bin") / "shipcalc"
    go(project, go_env(gohome), "build", "-o", str(out), "./cmd/shipcalc")
    return out


def tree(root):
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def money(c):
    sign = "-" if c < 0 else ""
    return f"{sign}{abs(c) // 100}.{abs(c) % 100:02d}"


def ceil_div(a, b):
    return (a + b - 1) // b


def expected(tariff_text, parcels_text):
    zones = {}
    rows = [r for r in csv.reader(io.StringIO(tariff_text)) if r and not r[0].startswith("#")]
    for r in rows[1:]:
        zones[r[0].strip()] = tuple(int(x) for x in r[1:])
    out, total_g, total = [], 0, 0
    for r in list(csv.reader(io.StringIO(parcels_text)))[1:]:
        w, l, b, h = (int(x) for x in r[1:5])
        base, per_kg, oversize = zones[r[5].strip()]
        g = max(w, ceil_div(l * b * h, 5))
        g = ceil_div(g, 500) * 500
        price = base + ceil_div(per_kg * g, 1000) + (oversize if max(l, b, h) > 120 else 0)
        out.append(f"{r[0]},{g},{money(price)}")
        total_g += g
        total += price
    out.append(f"TOTAL,{total_g},{money(total)}")
    return "\n".join(out) + "\n"


def run_shipcalc(binary, tariff, parcels, cwd):
    return subprocess.run([str(binary), "-tariff", str(tariff), str(parcels)], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})


def random_case(rng):
    names = set()
    while len(names) < rng.randint(2, 6):
        names.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 8))))
    names = sorted(names)
    tariff = ["zone,base_cents,per_kg_cents,oversize_cents", "# generated"]
    for n in names:
        tariff.append(f"{n},{rng.randint(0, 3000)},{rng.randint(1, 2000)},{rng.randint(0, 9000)}")
    parcels = ["id,weight_g,length_cm,width_cm,height_cm,zone"]
    for i in range(rng.randint(20, 120)):
        kind = rng.random()
        if kind < 0.2:  # exact multiples of the weight step
            w, sides = rng.randint(1, 40) * 500, [rng.randint(1, 20) for _ in range(3)]
        elif kind < 0.35:  # sides at the oversize limit
            w, sides = rng.randint(1, 30000), [rng.choice([119, 120, 121, 150]), rng.randint(1, 40), rng.randint(1, 40)]
            rng.shuffle(sides)
        elif kind < 0.5:  # volume an exact multiple of 5 x 500
            w, sides = rng.randint(1, 300), [50, 10, rng.choice([5, 10, 15, 20])]
        else:
            w, sides = rng.randint(1, 60000), [rng.randint(1, 200) for _ in range(3)]
        parcels.append(f"P{rng.randint(0, 99999):05d}-{i},{w},{sides[0]},{sides[1]},{sides[2]},{rng.choice(names)}")
    return "\n".join(tariff) + "\n", "\n".join(parcels) + "\n"


def test_protected_files_unchanged():
    for rel, digest in PRISTINE.items():
        assert hashlib.sha256((WORKSPACE / rel).read_bytes()).hexdigest() == digest, f"{rel} was changed"


def test_module_layout(gohome, tmp_path):
    project = copy_workspace(tmp_path / "src")
    mod = json.loads(go(project, go_env(gohome), "mod", "edit", "-json").stdout)
    assert mod["Module"]["Path"] == "acme.test/shipcalc"
    assert [r["Path"] for r in mod.get("Require") or []] == ["acme.test/units"]
    replaces = mod.get("Replace") or []
    assert len(replaces) == 1 and replaces[0]["Old"]["Path"] == "acme.test/units"
    assert replaces[0]["New"]["Path"].rstrip("/") in ("./third_party/units", "third_party/units")


def test_build_vet_and_unit_tests_in_vendor_mode(gohome, tmp_path):
    project = copy_workspace(tmp_path / "src")
    env = go_env(gohome, "vendor")
    go(project, env, "build", "./...")
    go(project, env, "vet", "./...")
    res = go(project, env, "test", "-count=1", "./...")
    assert "ok  \tacme.test/shipcalc/internal/quote" in res.stdout


def test_build_in_module_mode_from_the_fork(gohome, tmp_path):
    project = copy_workspace(tmp_path / "src")
    shutil.rmtree(project / "vendor")
    env = go_env(gohome, "mod")
    go(project, env, "build", "-o", str(tmp_path / "shipcalc"), "./cmd/shipcalc")
    go(project, env, "test", "-count=1", "./...")
    tariff, parcels = random_case(random.Random())
    (tmp_path / "t.csv").write_text(tariff)
    (tmp_path / "p.csv").write_text(parcels)
    res = run_shipcalc(tmp_path / "shipcalc", tmp_path / "t.csv", tmp_path / "p.csv", tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == expected(tariff, parcels)


def test_vendor_matches_go_mod_vendor(gohome, tmp_path):
    project = copy_workspace(tmp_path / "src")
    before = tree(project / "vendor")
    go(project, go_env(gohome, "mod"), "mod", "vendor")
    after = tree(project / "vendor")
    assert sorted(after) == sorted(before), "vendor/ does not hold what `go mod vendor` makes"
    for rel in after:
        assert after[rel] == before[rel], f"vendor/{rel} differs from what `go mod vendor` makes"


def test_binary_links_the_vendored_fork(binary):
    res = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/lib/go/bin:/usr/bin:/bin", "HOME": "/nonexistent"})
    assert res.returncode == 0, res.stderr
    lines = [line.split() for line in res.stdout.splitlines()]
    assert ["path", "acme.test/shipcalc/cmd/shipcalc"] in lines
    assert any(l[:2] == ["dep", "acme.test/units"] for l in lines), res.stdout
    assert any(l[:2] == ["=>", "./third_party/units"] for l in lines), res.stdout


def test_sample_batch(binary, tmp_path):
    res = run_shipcalc(binary, WORKSPACE / "data" / "tariff.csv", WORKSPACE / "data" / "parcels.csv", tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == expected((WORKSPACE / "data" / "tariff.csv").read_text(),
                                  (WORKSPACE / "data" / "parcels.csv").read_text())


@pytest.mark.parametrize("seed", range(4))
def test_generated_batches(binary, tmp_path, seed):
    rng = random.Random(seed if seed < 2 else None)
    tariff, parcels = random_case(rng)
    (tmp_path / "tariff.csv").write_text(tariff)
    (tmp_path / "parcels.csv").write_text(parcels)
    res = run_shipcalc(binary, tmp_path / "tariff.csv", tmp_path / "parcels.csv", tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == expected(tariff, parcels)


def test_errors_name_the_line(binary, tmp_path):
    (tmp_path / "tariff.csv").write_text("zone,base_cents,per_kg_cents,oversize_cents\nhome,100,200,300\n")
    cases = {
        "id,weight_g,length_cm,width_cm,height_cm,zone\na,10,1,1,1,home\nb,10,1,1,1,mars\n": "line 3",
        "id,weight_g,length_cm,width_cm,height_cm,zone\na,10,1,x,1,home\n": "line 2",
        "id,weight_g,length_cm,width_cm,height_cm,zone\na,10,1,1,1,home\nb,1,1,1,1,home\nc,0,1,1,1,home\n": "line 4",
    }
    for text, where in cases.items():
        (tmp_path / "parcels.csv").write_text(text)
        res = run_shipcalc(binary, tmp_path / "tariff.csv", tmp_path / "parcels.csv", tmp_path)
        assert res.returncode == 1, (text, res.stdout)
        assert where in res.stderr, (text, res.stderr)
