"""python3 -m notesvc [--host H] [--port P] [--data FILE]"""

import argparse

from .server import serve
from .store import Store


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m notesvc")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data", default="data/notes.json")
    args = parser.parse_args(argv)
    serve(Store(args.data), args.host, args.port)


if __name__ == "__main__":
    main()
