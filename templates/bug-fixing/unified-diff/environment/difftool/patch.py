"""Parsing unified diffs and applying them to a list of lines (docs/FORMAT.md, "Applying")."""

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """The patch is malformed, or a hunk does not apply."""


@dataclass
class Hunk:
    number: int
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    old: list = field(default_factory=list)  # context and deleted lines, in order
    new: list = field(default_factory=list)  # context and inserted lines, in order


def _strip_eol(lines):
    """Marks the last line of `lines` as having no newline at the end of the file."""
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]


def parse(text):
    """The hunks of a unified diff (the --- / +++ lines are skipped)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    hunks, k = [], 0
    while k < len(lines):
        m = HEADER.match(lines[k])
        if not m:
            if hunks and not lines[k].startswith(("--- ", "+++ ")):
                raise PatchError(f"line {k + 1}: expected a hunk header, got {lines[k]!r}")
            k += 1
            continue
        old_len = 1 if m.group(2) is None else int(m.group(2))
        new_len = 1 if m.group(4) is None else int(m.group(4))
        hunk = Hunk(len(hunks) + 1, int(m.group(1)), old_len, int(m.group(3)), new_len)
        k += 1
        last = None
        while len(hunk.old) < old_len or len(hunk.new) < new_len or (
            k < len(lines) and lines[k].startswith("\\")
        ):
            if k >= len(lines):
                raise PatchError(f"hunk {hunk.number}: patch ends inside the hunk")
            line = lines[k]
            tag, body = line[:1], line[1:] + "\n"
            if tag == " ":
                hunk.old.append(body)
                hunk.new.append(body)
            elif tag == "-":
                hunk.old.append(body)
            elif tag == "+":
                hunk.new.append(body)
            elif tag == "\\":
                if last is None:
                    raise PatchError(f"line {k + 1}: '\\' line without a line before it")
                if last in (" ", "-"):
                    _strip_eol(hunk.old)
                if last in (" ", "+"):
                    _strip_eol(hunk.new)
            else:
                raise PatchError(f"line {k + 1}: bad line in hunk {hunk.number}: {line!r}")
            last = tag if tag != "\\" else None
            k += 1
            if len(hunk.old) > old_len or len(hunk.new) > new_len:
                raise PatchError(f"hunk {hunk.number}: more lines than its header says")
        hunks.append(hunk)
    if not hunks:
        raise PatchError("no hunks in patch")
    return hunks


def _fits(lines, at, old):
    return lines[at : at + len(old)] == old


def locate(lines, hunk, expected, floor):
    """Where `hunk.old` is found in `lines`: at `expected` if it is there, else at the nearest
    position (one line up, one down, two up, ...) that is not before `floor`."""
    limit = len(lines) - len(hunk.old)
    for distance in range(0, max(expected - floor, limit - expected) + 1):
        for at in (expected - distance, expected + distance):
            if floor <= at <= limit and _fits(lines, at, hunk.old):
                return at
    raise PatchError(f"hunk {hunk.number} FAILED at {hunk.old_start}")


def apply(lines, hunks):
    """Applies the hunks in order; returns (new lines, [offset of each hunk])."""
    out = list(lines)
    delta = 0  # lines added minus lines removed by the hunks applied so far
    offset = 0  # how far from its header the previous hunk was found
    floor = 0
    offsets = []
    for hunk in hunks:
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        expected = start + delta + offset
        at = locate(out, hunk, expected, floor)
        offset = at - start - delta
        offsets.append(offset)
        out[at : at + len(hunk.old)] = hunk.new
        delta += len(hunk.new) - len(hunk.old)
        floor = at + len(hunk.new)
    return out, offsets
