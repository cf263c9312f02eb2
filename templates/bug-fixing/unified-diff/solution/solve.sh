# Oracle for bug-fixing/unified-diff: restores the behaviour docs/FORMAT.md specifies, whichever
# of the four defects this instance carries (each edit is a no-op where it is not needed).
cd /workspace &&
python3 - <<'PY'
from pathlib import Path


def fix(path, old, new):
    p = Path(path)
    text = p.read_text()
    if old in text:
        p.write_text(text.replace(old, new))


# an empty range names the line before it
fix("difftool/unified.py", "    first = start + 1\n", "    first = start + 1 if length else start\n")
# a line without its newline is followed by the marker
fix("difftool/unified.py",
    '    out.append(prefix + line.rstrip("\\n") + "\\n")\n',
    '    if line.endswith("\\n"):\n'
    "        out.append(prefix + line)\n"
    "    else:\n"
    '        out.append(prefix + line + "\\n")\n'
    "        out.append(NO_EOL)\n")
# changes at most 2N unchanged lines apart share a hunk
fix("difftool/hunks.py", "        elif size >= 2 * context:\n", "        elif size > 2 * context:\n")
# search up and down from the expected position, nearest first, up before down
fix("difftool/patch.py",
    "    for at in range(max(expected, floor), len(lines) - len(hunk.old) + 1):\n"
    "        if _fits(lines, at, hunk.old):\n"
    "            return at\n",
    "    limit = len(lines) - len(hunk.old)\n"
    "    for distance in range(0, max(expected - floor, limit - expected) + 1):\n"
    "        for at in (expected - distance, expected + distance):\n"
    "            if floor <= at <= limit and _fits(lines, at, hunk.old):\n"
    "                return at\n")
PY
python3 -m pytest -q -p no:cacheprovider tests
