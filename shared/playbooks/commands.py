"""The ``playbook`` command: list and show the de-escalation playbooks in a terminal.

``shared/cli.py`` calls ``add_parser(subparsers)``; every sub-command sets ``func`` to a
callable taking the parsed namespace and returning an exit code. Standalone:

    python -m shared.playbooks.commands list --lang ja
    python -m shared.playbooks.commands show angry --lang lv
    python -m shared.playbooks.commands show wait_security
    python -m shared.playbooks.commands check
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES, ContentError
from shared.playbooks.loader import card_ids, get_playbook, load_card, situation_ids, validate_all
from shared.playbooks.render import render_card, render_list, render_playbook


def cmd_list(args: argparse.Namespace) -> int:
    """Print every situation and card in the chosen language."""
    sys.stdout.write(render_list(args.lang))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print one situation's playbook, or one card."""
    name = args.situation
    if name in situation_ids():
        sys.stdout.write(render_playbook(get_playbook(name, args.lang), args.lang))
        return 0
    if name in card_ids():
        sys.stdout.write(render_card(load_card(name, args.lang), args.lang))
        return 0
    known = ", ".join((*situation_ids(), *card_ids()))
    print(f"unknown situation or card {name!r}; choose one of: {known}", file=sys.stderr)
    return 2


def cmd_check(args: argparse.Namespace) -> int:
    """Validate structure.toml and every language's files; print the first problem."""
    try:
        validate_all()
    except ContentError as error:
        print(f"content error: {error}", file=sys.stderr)
        return 1
    print(f"content OK: {len(situation_ids())} situations in {', '.join(LANGUAGES)}")
    return 0


def _add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="playbook_command", required=True, metavar="COMMAND")

    def lang_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--lang",
            choices=LANGUAGES,
            default=DEFAULT_LANGUAGE,
            help=f"language (default {DEFAULT_LANGUAGE})",
        )

    listing = sub.add_parser("list", help="list situations and cards")
    lang_option(listing)
    listing.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="show one situation's steps, or a card")
    show.add_argument(
        "situation",
        metavar="SITUATION",
        help="situation id (e.g. angry) or card id (e.g. wait_security)",
    )
    lang_option(show)
    show.set_defaults(func=cmd_show)

    check = sub.add_parser("check", help="validate every content file")
    check.set_defaults(func=cmd_check)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``playbook list|show|check`` on the main CLI's sub-parsers."""
    parser = subparsers.add_parser("playbook", help="de-escalation playbooks: list, show, check")
    _add_commands(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m shared.playbooks.commands``."""
    parser = argparse.ArgumentParser(
        prog="python -m shared.playbooks.commands", description="De-escalation playbooks."
    )
    _add_commands(parser)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
