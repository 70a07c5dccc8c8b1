"""``calmdesk kiosk``: run the kiosk app, or render its screenshots.

This module must not import Kivy at import time: the CLI imports it to build ``--help``.
Kivy is configured (window size, full screen, no exit on Escape) before its window exists.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from shared.languages import LANGUAGES

log = logging.getLogger(__name__)
LANDSCAPE = (1280, 800)
PORTRAIT = (800, 1280)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``kiosk`` on a CLI's subparsers; sets ``func=run``."""
    parser = subparsers.add_parser(
        "kiosk",
        help="run the counter kiosk app (or render its screenshots)",
        description="The counter kiosk: guided de-escalation with one-tap escalation.",
    )
    parser.add_argument("--device", help="kiosk device id, as provisioned (e.g. kiosk-1)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var"),
        help="folder with devices/<id>.json and the outbox (default: var)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, help="start language")
    parser.add_argument("--portrait", action="store_true", help="800x1280 instead of 1280x800")
    parser.add_argument("--fullscreen", action="store_true", help="kiosk mode: full screen")
    parser.add_argument("--drill", action="store_true", help="mark every alert as a DRILL")
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="render every screen in every language and orientation, then exit",
    )
    parser.set_defaults(func=run)
    return parser


def configure_kivy(*, size: tuple[int, int], fullscreen: bool) -> None:
    """Window and kiosk-mode settings; must run before kivy.core.window is imported."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xclip/xsel, absent on kiosks
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "allow_screensaver", "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def run(args: argparse.Namespace) -> int:
    """Entry point for ``calmdesk kiosk``; returns the process exit code."""
    if args.screenshots is not None:
        configure_kivy(size=LANDSCAPE, fullscreen=False)
        from kiosk.screenshots import render_all

        problems = render_all(args.screenshots)
        for problem in problems:
            print(f"does not fit: {problem}", file=sys.stderr)
        print(f"screenshots written to {args.screenshots}")
        return 1 if problems else 0
    if not args.device:
        print("calmdesk kiosk: --device is required (or use --screenshots DIR)", file=sys.stderr)
        return 2
    from kiosk.settings import KioskSettings
    from shared.settings import ConfigError, DeviceConfig

    try:
        config = DeviceConfig.load(args.data_dir / "devices" / f"{args.device}.json")
        settings = KioskSettings.load(args.data_dir, args.device)
    except ConfigError as error:
        print(f"calmdesk kiosk: {error}", file=sys.stderr)
        return 2
    overrides = {
        key: value
        for key, value in (
            ("lang", args.lang),
            ("drill", args.drill or None),
            ("fullscreen", args.fullscreen or None),
            ("portrait", args.portrait or None),
        )
        if value is not None
    }
    settings = settings.model_copy(update=overrides)
    configure_kivy(
        size=PORTRAIT if settings.portrait else LANDSCAPE, fullscreen=settings.fullscreen
    )
    from kiosk.app import KioskApp

    try:
        KioskApp(config, args.data_dir, settings).run()
    except ValueError as error:
        print(f"calmdesk kiosk: {error}", file=sys.stderr)
        return 2
    return 0
