"""Command line: python3 -m inventory report ITEMS.csv MOVEMENTS.csv"""

import argparse
import sys

from .ledger import InsufficientStock
from .report import build_report, render


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m inventory")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="print the stock valuation report")
    rep.add_argument("items")
    rep.add_argument("movements")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.items, args.movements)
    except (OSError, InsufficientStock, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
