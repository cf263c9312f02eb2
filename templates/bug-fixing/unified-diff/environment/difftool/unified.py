"""Rendering hunks as a unified diff (docs/FORMAT.md, "Output")."""

from .hunks import group
from .lcs import opcodes

NO_EOL = "\\ No newline at end of file\n"


def _range(start, length):
    """Hunk header range: 'start,length', or just 'start' when length is 1. An empty range
    names the line before it (0 at the top of the file)."""
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _emit(out, prefix, line):
    if line.endswith("\n"):
        out.append(prefix + line)
    else:
        out.append(prefix + line + "\n")
        out.append(NO_EOL)


def hunk_lines(a, b, hunk):
    """The header and body lines of one hunk (a list of opcodes)."""
    i1, i2 = hunk[0][1], hunk[-1][2]
    j1, j2 = hunk[0][3], hunk[-1][4]
    out = [f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n"]
    for tag, oi1, oi2, oj1, oj2 in hunk:
        if tag == "equal":
            for line in a[oi1:oi2]:
                _emit(out, " ", line)
            continue
        for line in a[oi1:oi2]:
            _emit(out, "-", line)
        for line in b[oj1:oj2]:
            _emit(out, "+", line)
    return out


def unified_diff(a, b, a_name, b_name, context=3):
    """The unified diff of two lists of lines as one string ('' when they are equal)."""
    hunks = group(opcodes(a, b), context)
    if not hunks:
        return ""
    out = [f"--- {a_name}\n", f"+++ {b_name}\n"]
    for hunk in hunks:
        out += hunk_lines(a, b, hunk)
    return "".join(out)
