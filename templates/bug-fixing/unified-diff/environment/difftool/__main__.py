"""Command line (see docs/FORMAT.md):

    python3 -m difftool diff [-U N] OLD NEW       exit 0: same, 1: different, 2: trouble
    python3 -m difftool apply [-o OUT] FILE PATCH  exit 0: applied, 1: a hunk failed, 2: trouble
"""

import argparse
import os
import sys
import tempfile

from .lines import read_lines, split_lines, write_lines
from .patch import PatchError, apply, parse
from .unified import unified_diff


def cmd_diff(args):
    a, b = read_lines(args.old), read_lines(args.new)
    text = unified_diff(a, b, args.old, args.new, context=args.unified)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    return 1 if text else 0


def cmd_apply(args):
    lines = read_lines(args.file)
    with open(args.patch, encoding="utf-8", errors="surrogateescape", newline="") as f:
        hunks = parse(f.read())
    try:
        result, offsets = apply(lines, hunks)
    except PatchError as e:
        print(f"difftool: {args.file}: {e}", file=sys.stderr)
        return 1
    for hunk, off in zip(hunks, offsets):
        if off:
            print(f"hunk {hunk.number} applied at offset {off:+d}", file=sys.stderr)
    target = args.output or args.file
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".difftool-")
    os.close(fd)
    write_lines(tmp, result)
    os.replace(tmp, target)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m difftool")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("diff", help="print the unified diff of two files")
    d.add_argument("-U", "--unified", type=int, default=3, metavar="N", help="context lines")
    d.add_argument("old")
    d.add_argument("new")
    a = sub.add_parser("apply", help="apply a unified diff to a file")
    a.add_argument("-o", "--output", help="write the result here instead of over FILE")
    a.add_argument("file")
    a.add_argument("patch")
    args = parser.parse_args(argv)
    if getattr(args, "unified", 0) < 0:
        parser.error("-U must be >= 0")
    try:
        return cmd_diff(args) if args.command == "diff" else cmd_apply(args)
    except (OSError, PatchError) as e:
        print(f"difftool: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
