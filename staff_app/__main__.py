"""``python -m staff_app [--device ID] ...``: the same as ``calmdesk pager``."""

from __future__ import annotations

import argparse
import logging
import sys

from shared.private_files import private_umask
from shared.settings import ConfigError
from staff_app.commands import add_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m staff_app")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["pager", *(sys.argv[1:] if argv is None else argv)])
    private_umask()  # its outbox and journal: owner only
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"calmdesk pager: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
