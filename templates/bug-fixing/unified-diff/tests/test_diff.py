# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
"""`difftool diff` against GNU diff (where the LCS is unique) and against an independent
implementation of docs/FORMAT.md (on any input), on freshly generated file pairs."""

import importlib.util
import random
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("difftool_sealed_ref", Path(__file__).with_name("ref_impl.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

WORDS = ["alpha", "beta", "gamma", "delta", "port = 8080", "", "    return x", "}", "# note", "caf\u00e9 \u2603"]


def unique_pair(rng):
    """Distinct old lines; new keeps some of them in order and adds fresh lines: LCS unique."""
    n = rng.randint(0, 40)
    old = [f"{rng.choice(WORDS)} {k}\n" for k in range(n)]
    new, fresh = [], 0
    for line in old:
        r = rng.random()
        if r < 0.12:
            continue
        if r < 0.22:
            new.append(f"changed {fresh} {rng.choice(WORDS)}\n")
            fresh += 1
            continue
        if r < 0.3:
            new.append(f"added {fresh}\n")
            fresh += 1
        new.append(line)
    while rng.random() < 0.3:
        new.insert(rng.randint(0, len(new)), f"extra {fresh}\n")
        fresh += 1
    if old and rng.random() < 0.3:
        old[-1] = old[-1][:-1]
    if new and rng.random() < 0.3:
        new[-1] = new[-1][:-1]
    return old, new


def messy_pair(rng):
    """Small alphabet, so many longest common subsequences exist."""
    alphabet = [f"{c}\n" for c in "abcde"] + ["\n", "x\r\n"]
    old = [rng.choice(alphabet) for _ in range(rng.randint(0, 30))]
    new = list(old)
    for _ in range(rng.randint(0, 8)):
        if new and rng.random() < 0.5:
            del new[rng.randrange(len(new))]
        else:
            new.insert(rng.randint(0, len(new)), rng.choice(alphabet))
    if old and old[-1] != "\n" and rng.random() < 0.25:
        old[-1] = old[-1][:-1]
    if new and new[-1] != "\n" and rng.random() < 0.25:
        new[-1] = new[-1][:-1]
    return old, new


def write(path, lines):
    path.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))
    return path


def check_pairs(tmp_path, cases, gnu):
    """cases: [(old lines, new lines, N)]. Runs difftool diff on each and checks it."""
    dirs = []
    for k, (old, new, n) in enumerate(cases):
        d = tmp_path / f"case{k}"
        d.mkdir()
        write(d / "old.txt", old)
        write(d / "new.txt", new)
        dirs.append(d)
    results = ref.tool_batch([(d, ["diff", "-U", n, "old.txt", "new.txt"]) for d, (_, _, n) in zip(dirs, cases)])
    if gnu:
        gnu_out = ref.gnu_batch([(d / "old.txt", d / "new.txt", n) for d, (_, _, n) in zip(dirs, cases)])
    for k, ((old, new, n), r) in enumerate(zip(cases, results)):
        out = r.stdout.decode("utf-8", "surrogateescape")
        where = f"-U{n}\nold={old!r}\nnew={new!r}\ndifftool printed:\n{out}\n{r.stderr.decode()}"
        if old == new:
            assert (r.returncode, out) == (0, ""), where
            continue
        assert r.returncode == 1, where
        ls = ref.lines_of(out)
        assert ls[:2] == ["--- old.txt\n", "+++ new.txt\n"], where
        if gnu:
            assert ref.lines_of(gnu_out[k])[2:] == ls[2:], f"GNU diff printed:\n{gnu_out[k]}\n{where}"
        deleted, inserted = ref.alignment_from(ls, old, new)
        assert len(deleted) + len(inserted) == len(old) + len(new) - 2 * ref.lcs_len(old, new), (
            "not minimal\n" + where)
        want = ref.render(old, new, deleted, inserted, n, "old.txt", "new.txt")
        assert out == want, f"docs/FORMAT.md gives:\n{want}\n{where}"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_same_as_gnu_diff_when_lcs_is_unique(tmp_path, n):
    rng = random.Random()
    check_pairs(tmp_path, [unique_pair(rng) + (n,) for _ in range(30)], gnu=True)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_minimal_and_well_formed_on_any_input(tmp_path, n):
    rng = random.Random()
    check_pairs(tmp_path, [messy_pair(rng) + (n,) for _ in range(60)], gnu=False)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_changes_exactly_2n_and_2n_plus_1_apart(tmp_path, n):
    base = [f"row {k}\n" for k in range(4 * n + 12)]
    cases = []
    for gap in (2 * n - 1, 2 * n, 2 * n + 1):
        new = list(base)
        new[3] = "first change\n"
        new[3 + gap + 1] = "second change\n"
        cases.append((base, new, n))
    check_pairs(tmp_path, cases, gnu=True)


def test_empty_ranges(tmp_path):
    body = [f"line {k}\n" for k in range(10)]
    cases = [
        ([], ["only\n"]),
        (["only\n"], []),
        (body, ["top\n"] + body),
        (body, body[:4] + ["middle\n", "middle 2\n"] + body[4:]),
        (body, body[:6] + body[8:]),
        (body, body + ["end\n"]),
        (body, body[1:]),
    ]
    check_pairs(tmp_path, [(old, new, n) for old, new in cases for n in (0, 1, 3)], gnu=True)


def test_final_newline(tmp_path):
    cases = [
        (["a\n", "b"], ["a\n", "b\n"]),
        (["a\n", "b\n"], ["a\n", "b"]),
        (["a\n", "b"], ["a\n", "c"]),
        (["a\n", "b"], ["a\n", "b", ]),
        (["x\n"] * 8 + ["b"], ["y\n"] + ["x\n"] * 7 + ["b"]),
        (["a"], []),
        ([], ["a"]),
    ]
    check_pairs(tmp_path, [(old, new, n) for old, new in cases for n in (0, 3)], gnu=True)


def test_bytes_and_carriage_returns(tmp_path):
    old = ["a\r\n", "b\x0cc\n", "caf\u00e9\n", "\udcff raw\n", "tail"]
    new = ["a\n", "b\x0cc\n", "cafe\n", "\udcff raw\n", "tail"]
    check_pairs(tmp_path, [(old, new, 3)], gnu=True)


def test_command_line_errors(tmp_path):
    write(tmp_path / "a.txt", ["x\n"])
    missing, negative = ref.tool_batch([(tmp_path, ["diff", "a.txt", "missing.txt"]),
                                        (tmp_path, ["diff", "-U", "-1", "a.txt", "a.txt"])])
    assert missing.returncode == 2 and negative.returncode == 2
