"""python3 -m docshare --root DIR [--host H] [--port N]"""

import argparse
import sys
from pathlib import Path

from .server import serve
from .storage import Share


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m docshare")
    parser.add_argument("--root", required=True, help="the shared folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():
        print(f"docshare: {root} is not a folder", file=sys.stderr)
        return 2
    serve(Share(root), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
