# Sealed tests of build-repair/c-makefile. canary: SYNTH-CANARY-e1f4dc437e96c3d2
"""Builds a copy of /workspace with its Makefile and checks the build contract of the
instruction: clean and parallel builds, every target on its own, incremental rebuilds after
header and VERSION changes, `make check` failing with the unit tests, PREFIX/DESTDIR installs,
`make clean`, and command-line overrides. The C sources must be unchanged."""

import hashlib
import math
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

WORKSPACE = Path("/workspace")
PRISTINE = {
    "VERSION": "b2f44d3b6e29f8b1b73ea4735f006affc4d198e1fd9c7d50e736159b1ef636c6",
    "include/tally/config.h": "5554968f0a7bf405ab9fedd6bfbe26948afaa1db424d9a620b1d439ea7f7e22c",
    "include/tally/tally.h": "58119a492830d89234fa51f6753c582a2e7cfdaa7432ba65eeb7b7d5c3c83dc2",
    "src/cli/main.c": "d2e4af92d263da199efc6a5d9056c3c87654c0fe50ada65a1b5481f040a52818",
    "src/lib/format.c": "2c5d81f37de3d1cdb7b87df4943528e848c3f227ae2f29a3bd202cb68763b29e",
    "src/lib/parse.c": "ab65cfec76b8f071e8f316a0fb519cb1c5fa9c9bc787082e0ef203a924ccc861",
    "src/lib/stats.c": "f43d4e2118b9b09a8e38cff00fa931e1522ad9940f6f93d5243c1a5f15b5f3a8",
    "src/lib/values.c": "7579164dd9229bd5b82d4a8d7b7fa4c945d61d57d0b539bf6c177e03ecb09c67",
    "tests/test_tally.c": "117892f4b57bfc79bb36ce5580ff5ce080f1c9d8ca5692984cc349abd60b1627",
}


def tree_files(root):
    root = Path(root)
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def env(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LC_ALL": "C"}


@pytest.fixture
def project(tmp_path):
    """A copy of the workspace without build outputs, as a fresh checkout would be."""
    dest = tmp_path / "checkout" / "tally"
    shutil.copytree(WORKSPACE, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "build"))
    return dest


def make(project, env, *args, check=True):
    res = subprocess.run(["make", "-C", str(project), *args], env=env, capture_output=True,
                         text=True, timeout=240)
    if check:
        assert res.returncode == 0, f"make {' '.join(args)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def fmt(x, decimals):
    return f"{x:.{decimals}f}"


def expected_report(values, decimals):
    n = len(values)
    lines = [f"count  {n}"]
    if n:
        s = 0.0
        for x in values:
            s += x
        mean = s / n
        sd = 0.0
        if n > 1:
            sq = 0.0
            for x in values:
                sq += (x - mean) * (x - mean)
            sd = math.sqrt(sq / (n - 1))
        srt = sorted(values)
        med = srt[n // 2] if n % 2 else (srt[n // 2 - 1] + srt[n // 2]) / 2
        for name, v in (("sum", s), ("min", srt[0]), ("max", srt[-1]), ("mean", mean),
                        ("median", med), ("stddev", sd)):
            lines.append(f"{name:<6} {fmt(v, decimals)}")
    return "\n".join(lines) + "\n"


def sample_input(rng):
    values, lines = [], []
    for _ in range(rng.randint(5, 400)):
        r = rng.random()
        if r < 0.05:
            lines.append("# a comment")
            continue
        if r < 0.1:
            lines.append(rng.choice(["", "   "]))
            continue
        text = f"{rng.uniform(-5000, 5000):.{rng.randint(0, 4)}f}"
        values.append(float(text))
        lines.append(rng.choice(["", " ", "\t"]) + text + rng.choice(["", "  "]))
    return values, "\n".join(lines) + "\n"


def run_tally(binary, env, data, *args):
    return subprocess.run([str(binary), *args], input=data, env=env, capture_output=True,
                          text=True, timeout=30)


def build_outputs(project):
    build = project / "build"
    return {str(p.relative_to(build)): p.stat().st_mtime_ns
            for p in build.rglob("*") if p.is_file()} if build.is_dir() else {}


def test_sources_unchanged():
    for rel, digest in PRISTINE.items():
        data = (WORKSPACE / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{rel} was changed"


def test_parallel_clean_build_works(project, env):
    make(project, env, "-j4")
    assert (project / "build" / "libtally.a").is_file()
    rng = random.Random()
    for _ in range(3):
        values, data = sample_input(rng)
        res = run_tally(project / "build" / "tally", env, data)
        assert res.returncode == 0, res.stderr
        assert res.stdout == expected_report(values, 2)
    res = run_tally(project / "build" / "tally", env, "1\n2\nthree\n4\n")
    assert res.returncode == 1 and "line 3" in res.stderr
    assert run_tally(project / "build" / "tally", env, "", "--version").stdout == "tally 3.1.0\n"


@pytest.mark.parametrize("target", ["build/tally", "build/libtally.a", "check"])
def test_each_target_builds_on_its_own(project, env, target):
    make(project, env, "-j3", target)
    if target == "build/tally":
        res = run_tally(project / "build" / "tally", env, "3\n1\n2\n")
        assert res.stdout == expected_report([3.0, 1.0, 2.0], 2)


def test_second_make_is_a_no_op(project, env):
    make(project, env)
    before = build_outputs(project)
    assert "tally" in before and "libtally.a" in before
    make(project, env)
    make(project, env, "-j2")
    assert build_outputs(project) == before, "a second make rebuilt files"
    assert make(project, env, "-q", check=False).returncode == 0, "make -q says out of date"


def test_header_change_is_picked_up(project, env):
    make(project, env)
    decimals = random.choice([1, 3, 4, 5])
    config = project / "include" / "tally" / "config.h"
    config.write_text(config.read_text().replace("TALLY_DECIMALS 2", f"TALLY_DECIMALS {decimals}"))
    make(project, env)
    values, data = sample_input(random.Random())
    res = run_tally(project / "build" / "tally", env, data)
    assert res.stdout == expected_report(values, decimals), "stale objects after a header change"
    make(project, env, "check")


def test_version_change_is_picked_up(project, env):
    make(project, env)
    version = f"{random.randint(4, 99)}.{random.randint(0, 99)}.{random.randint(0, 9)}-rc{random.randint(1, 9)}"
    (project / "VERSION").write_text(version + "\n")
    make(project, env)
    res = run_tally(project / "build" / "tally", env, "", "--version")
    assert res.stdout == f"tally {version}\n"


def test_check_fails_when_unit_tests_fail(project, env):
    make(project, env, "check")
    unit = project / "tests" / "test_tally.c"
    original = unit.read_text()
    unit.write_text(original.replace('printf("all libtally tests passed\\n");',
                                     'printf("injected failure\\n");\n    return 3;'))
    assert "injected failure" in unit.read_text()
    res = make(project, env, "check", check=False)
    assert res.returncode != 0, "make check passed although the unit tests failed"
    assert "injected failure" in res.stdout + res.stderr
    unit.write_text(original)
    make(project, env, "check")


def check_installed(root, env, tmp_path):
    tally = root / "bin" / "tally"
    assert tally.is_file() and os.access(tally, os.X_OK), f"no {tally}"
    assert (root / "lib" / "libtally.a").is_file()
    assert sorted(p.name for p in (root / "include" / "tally").iterdir()) == ["config.h", "tally.h"]
    assert run_tally(tally, env, "5\n7\n").stdout == expected_report([5.0, 7.0], 2)
    # Another program builds against the installed headers and library.
    prog = tmp_path / "user.c"
    prog.write_text('#include <tally/tally.h>\nint main(void){struct tally_values v={0};'
                    'tally_push(&v,2);tally_push(&v,4);struct tally_summary s=tally_summarize(&v);'
                    'tally_print(stdout,&s);tally_free(&v);return 0;}\n')
    exe = tmp_path / "user"
    res = subprocess.run(["cc", "-I", str(root / "include"), "-o", str(exe), str(prog),
                          "-L", str(root / "lib"), "-ltally", "-lm"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert subprocess.run([str(exe)], capture_output=True, text=True, timeout=10).stdout == \
        expected_report([2.0, 4.0], 2)


def test_install_with_prefix(project, env, tmp_path):
    prefix = tmp_path / "opt" / f"tally{random.randint(0, 999)}"
    make(project, env, "install", f"PREFIX={prefix}")
    check_installed(prefix, env, tmp_path)


def test_staged_install_with_destdir(project, env, tmp_path):
    stage = tmp_path / "stage"
    make(project, env, "-j2", "install", f"DESTDIR={stage}", "PREFIX=/opt/tally")
    installed = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
    assert installed == ["opt/tally/bin/tally", "opt/tally/include/tally/config.h",
                         "opt/tally/include/tally/tally.h", "opt/tally/lib/libtally.a"]
    check_installed(stage / "opt" / "tally", env, tmp_path)


def test_clean_restores_the_checkout(project, env):
    pristine = tree_files(project)
    make(project, env, "clean")
    assert tree_files(project) == pristine, "make clean on a clean tree changed it"
    make(project, env, "-j2", "all", "check")
    make(project, env, "clean")
    assert tree_files(project) == pristine, "make clean left build outputs behind"
    make(project, env)


def test_command_line_overrides(project, env, tmp_path):
    log = tmp_path / "cc.log"
    wrapper = tmp_path / "bin" / "my-cc"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec gcc "$@"\n')
    wrapper.chmod(0o755)
    make(project, env, "-j2", f"CC={wrapper}", "CFLAGS=-O1 -fno-strict-aliasing",
         "CPPFLAGS=-DTALLY_OVERRIDE_PROBE=1", "all", "check")
    compiles = [line for line in log.read_text().splitlines() if " -c " in f" {line} "]
    assert len(compiles) >= 6, "the compiler given as CC was not used"
    for line in compiles:
        words = line.split()
        assert "-O1" in words and "-fno-strict-aliasing" in words, f"CFLAGS not used: {line}"
        assert "-DTALLY_OVERRIDE_PROBE=1" in words, f"CPPFLAGS not used: {line}"
    res = run_tally(project / "build" / "tally", env, "1.5\n2.5\n")
    assert res.stdout == expected_report([1.5, 2.5], 2)
