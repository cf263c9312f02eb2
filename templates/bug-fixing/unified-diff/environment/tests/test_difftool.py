import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from difftool.lcs import opcodes  # noqa: E402
from difftool.lines import split_lines  # noqa: E402
from difftool.patch import apply, parse  # noqa: E402
from difftool.unified import unified_diff  # noqa: E402


def test_split_lines():
    assert split_lines("a\nb") == ["a\n", "b"]
    assert split_lines("a\r\nb\x0cc\n") == ["a\r\n", "b\x0cc\n"]
    assert split_lines("") == []


def test_opcodes_cover_both_sides():
    a, b = list("abcde"), list("axcdfe")
    ops = opcodes(a, b)
    assert ops[0][1] == 0 and ops[-1][2] == len(a)
    assert ops[0][3] == 0 and ops[-1][4] == len(b)


def test_simple_diff():
    a = split_lines("one\ntwo\nthree\n")
    b = split_lines("one\n2\nthree\n")
    assert unified_diff(a, b, "a", "b") == (
        "--- a\n+++ b\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"
    )


def test_round_trip():
    a = split_lines("".join(f"line {i}\n" for i in range(30)))
    b = a[:5] + ["new\n"] + a[7:20] + a[21:]
    assert apply(a, parse(unified_diff(a, b, "a", "b")))[0] == b
