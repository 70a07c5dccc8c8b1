"""The ``calmdesk`` command: one entry point, a subcommand per job.

Subcommands live beside what they drive and are imported lazily, so ``calmdesk --help`` and the
hub's commands never load Kivy, and the apps never load SQLAlchemy. A command listed in
``_STANDALONE`` builds only its own parser from its own module: ``calmdesk alert`` is started
by panic-button scripts, and every import is latency there.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from shared.errors import ConfigError
from shared.private_files import private_umask

# command -> the module whose ``add_parser(sub, data_dir)`` defines it and nothing else
_STANDALONE = {
    "alert": "shared.alert_command",
}

_APP_COMMANDS = {
    "kiosk": ("kiosk.commands", "the counter tablet app"),
    "pager": ("staff_app.commands", "the managers' and security staff's pager app"),
}


def _not_available(name: str, reason: str) -> None:
    def run(_args: argparse.Namespace) -> int:
        print(f"calmdesk {name}: not available yet ({reason})", file=sys.stderr)
        return 2

    return run  # type: ignore[return-value]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or only ``command``'s part if it is a standalone command."""
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var"),
        help="where registry, device files, broker files and databases live (default: var)",
    )
    parser = argparse.ArgumentParser(
        prog="calmdesk",
        description="CalmDesk: guided de-escalation at the counter and closed-loop staff alerts.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in _STANDALONE:
        importlib.import_module(_STANDALONE[command]).add_parser(sub, data_dir)
        return parser

    from broker.commands import add_parsers as add_store_commands
    from shared.console import add_parsers as add_console_commands

    add_store_commands(sub, data_dir)
    add_console_commands(sub, data_dir)
    for name, (module_name, summary) in _APP_COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            stub = sub.add_parser(name, help=f"{summary} (not available yet)")
            stub.set_defaults(func=_not_available(name, str(error)))
            continue
        module.add_parser(sub)
    try:
        console_web = importlib.import_module("console.commands")
    except ImportError as error:
        stub = sub.add_parser("console", help="the web console (not available yet)")
        stub.set_defaults(func=_not_available("console", str(error)))
    else:
        console_web.add_parsers(sub, data_dir)
    try:
        playbooks = importlib.import_module("shared.playbooks.commands")
    except ImportError as error:
        stub = sub.add_parser("playbook", help="review de-escalation playbooks (not available yet)")
        stub.set_defaults(func=_not_available("playbook", str(error)))
    else:
        playbooks.add_parser(sub)
    return parser


def _command_named(argv: list[str]) -> str | None:
    """The subcommand's name: the first word that is not an option (the top-level options
    take no values)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_named(words)).parse_args(words)
    private_umask()  # databases, WAL files and outboxes: owner only (shared/private_files.py)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Kivy lowers the root logger's level when it loads; ours keep their own
    for package in ("shared", "broker", "kiosk", "staff_app"):
        logging.getLogger(package).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"calmdesk: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
