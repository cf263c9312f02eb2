# Sealed tests of algorithms-performance/c-logstat. canary: SYNTH-CANARY-70d01625797c2d55
"""Builds /workspace with make and checks logstat's output against an independent Python
implementation of README.md, then times it against the straightforward O(n log n) reference
(tests/ref, compiled here) on large logs of each documented shape, side by side on this
machine: the minimum of repeated runs must stay within a generous factor of the reference's."""

import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
REF = Path(__file__).parent / "ref"
FACTOR, SLACK = 4.0, 0.5


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LC_ALL": "C"}


@pytest.fixture(scope="module")
def candidate(tmp_path_factory, env):
    dest = tmp_path_factory.mktemp("build") / "logstat-src"
    shutil.copytree(WORKSPACE, dest, ignore=shutil.ignore_patterns(".git", "logstat", "*.o"))
    res = subprocess.run(["make"], cwd=dest, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    binary = dest / "logstat"
    assert binary.read_bytes()[:4] == b"\x7fELF", "make must build ./logstat as a native program"
    return binary


@pytest.fixture(scope="module")
def reference(tmp_path_factory, env):
    out = tmp_path_factory.mktemp("ref") / "logstat-ref"
    res = subprocess.run(["gcc", "-O2", "-std=c11", "-o", str(out), str(REF / "logstat.c"),
                          str(REF / "table.c")], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return out


def expected(text):
    clients, lat, status, skipped = {}, [], {}, 0
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        fields = line.replace("\t", " ").replace("\r", " ").split()
        try:
            assert len(fields) == 5
            st, ms = int(fields[3]), int(fields[4])
            assert 100 <= st <= 599 and ms >= 0
        except (AssertionError, ValueError):
            skipped += 1
            continue
        c = clients.setdefault(fields[0], [0, set()])
        c[0] += 1
        c[1].add(fields[2])
        lat.append(ms)
        status[st] = status.get(st, 0) + 1
    out = [f"requests {len(lat)}", f"skipped {skipped}", f"clients {len(clients)}"]
    if lat:
        lat.sort()
        n = len(lat)
        pick = lambda p: lat[(p * n + 99) // 100 - 1]
        out.append(f"latency p50 {pick(50)} p90 {pick(90)} p99 {pick(99)} max {lat[-1]}")
    else:
        out.append("latency p50 - p90 - p99 - max -")
    out.append("top clients")
    top = sorted(clients.items(), key=lambda kv: (-kv[1][0], kv[0].encode()))[:10]
    out += [f"  {ip} {c[0]} requests {len(c[1])} paths" for ip, c in top]
    out.append("status")
    out += [f"  {s} {status[s]}" for s in sorted(status)]
    return "\n".join(out) + "\n"


def make_log(rng, lines, clients, crawler_paths=0, weird=False):
    ips = list({f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                for _ in range(clients)})
    pages = [f"/p/{i}" for i in range(rng.randint(5, 800))]
    out, crawled = [], 0
    for _ in range(lines):
        if weird and rng.random() < 0.08:
            out.append(rng.choice(["", "# comment line", "garbage", "1.2.3.4 GET / 200", "1.2.3.4 GET / 99 5",
                                   "1.2.3.4 GET / 200 -4", "1.2.3.4 GET / 200 12 extra", "   ",
                                   "1.2.3.4 GET / 2x0 5", "1.2.3.4\tGET\t/tab\t404\t7",
                                   "1.2.3.4 GET / 600 1", "5.6.7.8  GET   /spaces  301  0"]))
            continue
        if crawled < crawler_paths and rng.random() < 0.5:
            ip, path = "198.51.100.7", f"/archive/{crawled}/{rng.randint(0, 9)}"
            crawled += 1
        else:
            ip, path = rng.choice(ips), rng.choice(pages)
        out.append(f"{ip} {rng.choice(['GET', 'POST', 'HEAD'])} {path} "
                   f"{rng.choice([200, 200, 200, 201, 301, 304, 404, 500, 503])} {int(rng.expovariate(1 / 90))}")
    return "\n".join(out) + "\n"


def run(binary, path, env, timeout=60):
    start = time.perf_counter()
    res = subprocess.run([str(binary), str(path)], env=env, capture_output=True, text=True, timeout=timeout)
    return res, time.perf_counter() - start


@pytest.mark.parametrize("seed", range(6))
def test_output_matches_the_spec(candidate, env, tmp_path, seed):
    rng = random.Random(seed if seed < 4 else None)
    text = make_log(rng, rng.randint(0 if seed == 0 else 1, 3000), rng.randint(1, 40),
                    crawler_paths=rng.choice([0, 50]), weird=True)
    log = tmp_path / "access.log"
    log.write_text(text)
    res, _ = run(candidate, log, env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == expected(text)
    res = subprocess.run([str(candidate)], input=text, env=env, capture_output=True, text=True, timeout=60)
    assert res.stdout == expected(text), "reading stdin"


def test_ties_and_empty_input(candidate, env, tmp_path):
    log = tmp_path / "empty.log"
    log.write_text("")
    assert run(candidate, log, env)[0].stdout == expected("")
    text = "".join(f"10.0.0.{i} GET /x 200 {i}\n" for i in (9, 10, 100, 11, 1, 2, 3, 4, 5, 6, 7, 8))
    log.write_text(text)
    assert run(candidate, log, env)[0].stdout == expected(text)


SHAPES = {
    "many-clients": dict(lines=250000, clients=60000),
    "crawler": dict(lines=250000, clients=2000, crawler_paths=90000),
    "few-clients": dict(lines=300000, clients=50),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_speed_against_the_reference(candidate, reference, env, tmp_path, shape):
    log = tmp_path / f"{shape}.log"
    text = make_log(random.Random(), **SHAPES[shape])
    log.write_text(text)
    ref_times, cand_times = [], []
    for _ in range(3):
        res, t = run(reference, log, env, timeout=300)
        assert res.returncode == 0
        ref_times.append(t)
        limit = max(30.0, 20 * min(ref_times))
        try:
            res, t = run(candidate, log, env, timeout=limit)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{shape}: logstat ran for over {limit:.0f}s; the reference takes {min(ref_times):.2f}s")
        assert res.returncode == 0, res.stderr
        if not cand_times:
            assert res.stdout == expected(text)
        cand_times.append(t)
    ref, cand = min(ref_times), min(cand_times)
    print(f"{shape}: reference {ref:.3f}s, logstat {cand:.3f}s ({cand / ref:.1f}x)")
    assert cand <= FACTOR * ref + SLACK, (
        f"{shape}: logstat takes {cand:.2f}s, the reference {ref:.2f}s (allowed {FACTOR}x + {SLACK}s)")
