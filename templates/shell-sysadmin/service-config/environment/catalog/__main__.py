"""python3 -m catalog --config FILE [--check]"""

import argparse
import logging
import sys

from .config import ConfigError, load
from .server import serve
from .store import Catalog


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m catalog")
    parser.add_argument("--config", required=True, help="the INI configuration file")
    parser.add_argument("--check", action="store_true",
                        help="check the configuration and the catalog, then exit")
    args = parser.parse_args(argv)
    try:
        settings = load(args.config)
        catalog = Catalog.load(settings.catalog_path)
    except (ConfigError, ValueError, OSError) as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        print(f"config OK: {settings.host}:{settings.port}, {len(catalog.items)} items, "
              f"{settings.page_size} per page, log {settings.log_file} ({settings.log_level})")
        return 0
    logging.basicConfig(
        filename=settings.log_file,
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    for warning in settings.warnings:
        logging.getLogger("catalog").warning(warning)
    serve(settings, catalog)
    return 0


if __name__ == "__main__":
    sys.exit(main())
