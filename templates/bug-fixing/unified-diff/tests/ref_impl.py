# Sealed tests of bug-fixing/unified-diff. canary: SYNTH-CANARY-dd9b6382d2c16299
"""An independent implementation of docs/FORMAT.md, and random file pairs."""

import base64
import json
import re
import subprocess
from pathlib import Path

PYTHON = "/usr/bin/python3"
HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$")
NO_EOL = "\\ No newline at end of file\n"


def lines_of(text):
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def lcs_len(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


class Result:
    def __init__(self, rc, out, err):
        self.returncode, self.stdout, self.stderr = rc, out, err


def tool_batch(cases):
    """[(cwd, [args])] -> [Result], every case run as `python3 -m difftool ARGS` in one
    fresh process (driver.py)."""
    payload = json.dumps([{"cwd": str(c), "argv": [str(x) for x in args]} for c, args in cases])
    r = subprocess.run([PYTHON, str(Path(__file__).with_name("driver.py"))], input=payload,
                       capture_output=True, text=True, timeout=240,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(r.stdout)
    assert len(rows) == len(cases)
    return [Result(x["rc"], base64.b64decode(x["out"]), base64.b64decode(x["err"])) for x in rows]


def tool(cwd, *args):
    return tool_batch([(cwd, args)])[0]


def gnu_batch(cases):
    """[(old, new, n)] -> GNU diff outputs, one shell for all of them."""
    script = "\n".join(f"/usr/bin/diff --minimal -U{n} '{o}' '{w}' | base64 -w0; echo" for o, w, n in cases)
    r = subprocess.run(["/bin/bash", "-c", script], capture_output=True, text=True, timeout=120)
    import base64
    assert r.stdout.count("\n") == len(cases), r.stderr
    outs = r.stdout.split("\n")[: len(cases)]
    return [base64.b64decode(x).decode("utf-8", "surrogateescape") for x in outs]


def gnu_diff(old, new, n):
    r = subprocess.run(["/usr/bin/diff", "--minimal", f"-U{n}", str(old), str(new)],
                       capture_output=True, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    return r.stdout.decode("utf-8", "surrogateescape")


def alignment_from(diff_lines, a, b):
    """(deleted old indexes, inserted new indexes) that a diff's hunks describe."""
    deleted, inserted = set(), set()
    k = 2
    while k < len(diff_lines):
        m = HEADER.match(diff_lines[k])
        assert m, f"expected a hunk header at line {k + 1}: {diff_lines[k]!r}"
        ol = 1 if m.group(2) is None else int(m.group(2))
        nl = 1 if m.group(4) is None else int(m.group(4))
        p = int(m.group(1)) - 1 if ol else int(m.group(1))
        q = int(m.group(3)) - 1 if nl else int(m.group(3))
        k += 1
        while k < len(diff_lines) and not diff_lines[k].startswith("@@"):
            line = diff_lines[k]
            if line[0] == " ":
                p, q = p + 1, q + 1
            elif line[0] == "-":
                deleted.add(p)
                p += 1
            elif line[0] == "+":
                inserted.add(q)
                q += 1
            else:
                assert line == NO_EOL, line
            k += 1
    return deleted, inserted


def render(a, b, deleted, inserted, n, a_name, b_name):
    """The diff that FORMAT.md prescribes for this alignment."""
    items, i, j = [], 0, 0
    while i < len(a) or j < len(b):
        if i in deleted or j in inserted:
            while i in deleted:
                items.append(("-", i, j))
                i += 1
            while j in inserted:
                items.append(("+", i, j))
                j += 1
        else:
            assert i < len(a) and j < len(b) and a[i] == b[j], "alignment does not fit the files"
            items.append(("=", i, j))
            i, j = i + 1, j + 1
    changes = [k for k, it in enumerate(items) if it[0] != "="]
    if not changes:
        return ""
    groups = [[changes[0], changes[0]]]
    for c in changes[1:]:
        if c - groups[-1][1] - 1 <= 2 * n:
            groups[-1][1] = c
        else:
            groups.append([c, c])
    out = [f"--- {a_name}\n", f"+++ {b_name}\n"]

    def rng(first, length):
        s = first + 1 if length else first
        return str(s) if length == 1 else f"{s},{length}"

    def emit(prefix, line):
        out.append(prefix + line if line.endswith("\n") else prefix + line + "\n" + NO_EOL)

    for lo, hi in groups:
        start = lo
        while start > 0 and lo - start < n and items[start - 1][0] == "=":
            start -= 1
        end = hi
        while end + 1 < len(items) and end - hi < n and items[end + 1][0] == "=":
            end += 1
        part = items[start : end + 1]
        olen = sum(1 for t in part if t[0] != "+")
        nlen = sum(1 for t in part if t[0] != "-")
        out.append(f"@@ -{rng(part[0][1], olen)} +{rng(part[0][2], nlen)} @@\n")
        for tag, i, j in part:
            if tag == "=":
                emit(" ", a[i])
            elif tag == "-":
                emit("-", a[i])
            else:
                emit("+", b[j])
    return "".join(out)


def parse_hunks(text):
    """[(old_start, old_len, old lines, new lines)] of a unified diff."""
    ls = lines_of(text)
    hunks, k = [], 0
    while k < len(ls):
        m = HEADER.match(ls[k])
        if not m:
            k += 1
            continue
        ol = 1 if m.group(2) is None else int(m.group(2))
        old, new, last = [], [], None
        k += 1
        while k < len(ls) and not HEADER.match(ls[k]):
            line = ls[k]
            if line == NO_EOL:
                for side, tags in ((old, " -"), (new, " +")):
                    if last in tags:
                        side[-1] = side[-1][:-1]
            elif line[0] in " -+":
                body = line[1:]
                if line[0] in " -":
                    old.append(body)
                if line[0] in " +":
                    new.append(body)
                last = line[0]
            else:
                break
            k += 1
        hunks.append((int(m.group(1)), ol, old, new))
    return hunks


def ref_apply(lines, hunks):
    """Returns (result, [(hunk number, offset)]) or (None, failed hunk number)."""
    out = list(lines)
    delta = offset = floor = 0
    moved = []
    for number, (os_, ol, old, new) in enumerate(hunks, start=1):
        start = os_ - 1 if ol else os_
        expected = start + delta + offset
        spots = [p for p in range(floor, len(out) - len(old) + 1) if out[p : p + len(old)] == old]
        if not spots:
            return None, number
        at = min(spots, key=lambda p: (abs(p - expected), p > expected))
        offset = at - start - delta
        if offset:
            moved.append((number, offset))
        out[at : at + len(old)] = new
        delta += len(new) - len(old)
        floor = at + len(new)
    return out, moved
