"""``python -m kiosk``: the same as ``calmdesk kiosk`` (until the main CLI wires it)."""

from __future__ import annotations

import argparse
import logging
import sys

from kiosk.commands import add_parser
from shared.private_files import private_umask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk")
    subparsers = parser.add_subparsers(dest="command")
    add_parser(subparsers)
    args = parser.parse_args(["kiosk", *(sys.argv[1:] if argv is None else argv)])
    private_umask()  # its outbox and journal: owner only
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
