# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
"""`difftool apply` against an independent implementation of docs/FORMAT.md "Applying", with
patches made by GNU diff and targets that drifted since; the result must also match what the
patch says, and failures must leave the file alone."""

import importlib.util
import random
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("difftool_sealed_ref", Path(__file__).with_name("ref_impl.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def write(path, lines):
    path.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))
    return path


def read(path):
    return ref.lines_of(path.read_bytes().decode("utf-8", "surrogateescape"))


def edit(rng, lines, fresh_prefix, k):
    out = list(lines)
    for _ in range(k):
        r = rng.random()
        if out and r < 0.4:
            del out[rng.randrange(len(out))]
        elif out and r < 0.6:
            out[rng.randrange(len(out))] = f"{fresh_prefix} {rng.randint(0, 10**6)}\n"
        else:
            out.insert(rng.randint(0, len(out)), f"{fresh_prefix} {rng.randint(0, 10**6)}\n")
    return out


def run_cases(tmp_path, cases):
    """cases: [(old, new, target, N)]: GNU diff of old and new, applied by difftool to target.
    Returns per case None (no diff), True (applied) or False (failed as it must)."""
    dirs = []
    for k, (old, new, target, n) in enumerate(cases):
        d = tmp_path / f"case{k}"
        d.mkdir()
        write(d / "old.txt", old)
        write(d / "new.txt", new)
        write(d / "target.txt", target)
        dirs.append(d)
    patches = ref.gnu_batch([(d / "old.txt", d / "new.txt", c[3]) for d, c in zip(dirs, cases)])
    todo = []
    for d, text in zip(dirs, patches):
        (d / "change.diff").write_bytes(text.encode("utf-8", "surrogateescape"))
        if text:
            todo.append(d)
    results = dict(zip(todo, ref.tool_batch([(d, ["apply", "target.txt", "change.diff"]) for d in todo])))
    outcomes = []
    for d, text, (old, new, target, n) in zip(dirs, patches, cases):
        if not text:
            outcomes.append(None)
            continue
        r = results[d]
        err = r.stderr.decode("utf-8", "replace")
        where = f"patch:\n{text}\ntarget={target!r}\nstderr: {err}"
        want, moved = ref.ref_apply(target, ref.parse_hunks(text))
        if want is None:
            assert r.returncode == 1, where
            assert f"hunk {moved} FAILED" in err, where
            assert read(d / "target.txt") == target, "a failed apply must not touch the file\n" + where
            outcomes.append(False)
            continue
        assert r.returncode == 0, where
        assert read(d / "target.txt") == want, f"expected {want!r}\n{where}"
        for number, off in moved:
            assert f"hunk {number} applied at offset {off:+d}" in err, where
        assert err.count("applied at offset") == len(moved), where
        outcomes.append(True)
    return outcomes


def run_case(tmp_path, old, new, target, n):
    return run_cases(tmp_path, [(old, new, target, n)])[0]


def test_round_trip_on_the_original(tmp_path):
    rng = random.Random()
    cases = []
    for _ in range(30):
        old = [f"line {k} {rng.choice('abc')}\n" for k in range(rng.randint(0, 50))]
        new = edit(rng, old, "new", rng.randint(1, 6))
        if new and rng.random() < 0.3:
            new[-1] = new[-1].rstrip("\n")
        if old and rng.random() < 0.3:
            old[-1] = old[-1].rstrip("\n")
        cases += [(old, new, old, n) for n in (0, 1, 3)]
    outcomes = run_cases(tmp_path, cases)
    assert False not in outcomes
    for k, (outcome, (old, new, _, _)) in enumerate(zip(outcomes, cases)):
        if outcome:
            assert read(tmp_path / f"case{k}" / "target.txt") == new


@pytest.mark.parametrize("n", [0, 2, 3])
def test_drifted_targets(tmp_path, n):
    rng = random.Random()
    cases = []
    for _ in range(60):
        old = [f"{rng.choice(['if x:', 'pass', 'return 1', 'x = 2'])} #{k}\n" for k in range(rng.randint(5, 60))]
        if rng.random() < 0.5:  # repeated blocks make several positions fit
            old = old[: len(old) // 2] * 2
        new = edit(rng, old, "patched", rng.randint(1, 5))
        target = edit(rng, old, "drift", rng.randint(0, 6))
        cases.append((old, new, target, n))
    assert run_cases(tmp_path, cases).count(True) >= 5


def test_lines_removed_above(tmp_path):
    old = [f"setting_{k} = {k}\n" for k in range(40)]
    new = list(old)
    new[20] = "setting_20 = 'changed'\n"
    new[33] = "setting_33 = 'changed'\n"
    cases = [(old, new, old[removed:], 3) for removed in (1, 3, 7)]
    cases.append((old, new, old[:10] + old[15:], 3))
    assert run_cases(tmp_path, cases) == [True] * 4
    for k, removed in enumerate((1, 3, 7)):
        assert read(tmp_path / f"case{k}" / "target.txt") == new[removed:]


def test_nearest_position_wins_up_first(tmp_path):
    block = ["a\n", "b\n", "c\n"]
    tails = [f"tail {k}\n" for k in range(6)]
    old = [f"pad {k}\n" for k in range(6)] + block + tails
    new = list(old)
    new[7] = "B\n"
    # the hunk's old lines (a b c) are 2 lines above and 2 lines below the expected place
    target = [f"pad {k}\n" for k in range(4)] + block + ["mid\n"] + block + tails
    assert run_case(tmp_path, old, new, target, 1) is True
    got = read(tmp_path / "case0" / "target.txt")
    assert got[4:7] == ["a\n", "B\n", "c\n"] and got[8:11] == block


def test_failed_hunk_and_output_option(tmp_path):
    old = [f"l{k}\n" for k in range(20)]
    new = old[:5] + ["X\n"] + old[6:15] + ["Y\n"] + old[16:]
    target = old[:14] + ["other\n"] + old[15:]
    assert run_case(tmp_path, old, new, target, 1) is False
    d = tmp_path / "case0"
    write(d / "target.txt", old)
    r = ref.tool(d, "apply", "-o", "out.txt", "target.txt", "change.diff")
    assert r.returncode == 0, r.stderr
    assert read(d / "out.txt") == new and read(d / "target.txt") == old
