"""``calmdesk pager``: the staff pager app. Imports no Kivy until the command runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.i18n import LANGUAGES


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``pager`` on the calmdesk command line."""
    parser = subparsers.add_parser(
        "pager",
        help="the managers' and security staff's pager app",
        description="Open the pager for a provisioned pager device, or render its screenshots.",
    )
    parser.add_argument("--device", help="pager device id, e.g. pager-s1 (see calmdesk provision)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var"),
        help="where device files and the outbox live (default: var)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, help="UI language (default: last used, en)")
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="render every pager screen in all five languages to DIR as PNG, then exit",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Start the pager (or the screenshot run); returns the process exit code."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if args.screenshots is not None:
        from staff_app.screenshots import render_all

        problems = render_all(args.screenshots)
        for problem in problems:
            print(f"calmdesk pager: {problem}", file=sys.stderr)
        return 1 if problems else 0
    if not args.device:
        print("calmdesk pager: --device is required (e.g. --device pager-s1)", file=sys.stderr)
        return 2
    from shared.settings import DeviceConfig

    config = DeviceConfig.load(args.data_dir / "devices" / f"{args.device}.json")
    if config.role not in ("manager", "security"):
        print(
            f"calmdesk pager: {config.device} is a {config.role} device, not a pager; "
            "provision a manager or security device",
            file=sys.stderr,
        )
        return 2
    from staff_app.app import run_pager

    return run_pager(config, args.data_dir, lang=args.lang)
