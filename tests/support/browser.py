"""Debian's chromium driven by Playwright (never a downloaded browser), and a console served on
a free loopback port for browser tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from broker.mosquitto import free_port, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "console"
WIDTHS = {"desktop": (1280, 900), "tablet": (768, 1024)}

# every field outside a <label> needs label[for=id] or an aria-label
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.id && document.querySelector(`label[for="${e.id}"]`))
            && !e.closest('label') && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML.slice(0, 120))"""


def screenshot_pages(page: Any, base: str, pages: dict[str, str]) -> dict[str, list[str]]:
    """Each page at every width in WIDTHS, saved under SCREENSHOTS as NAME-WIDTH.png; returns
    the form fields without a label, by page name ({} when every field has one)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    unlabelled: dict[str, list[str]] = {}
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(base + path)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
            missing = page.evaluate(UNLABELLED_JS)
            if missing:
                unlabelled[name] = missing
    return unlabelled


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless system chromium; skips when it is not installed (CI installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def console_server(database_url: str, data_dir: Path) -> Iterator[str]:
    """The console on a free loopback port; yields its base URL."""
    from console.commands import serve
    from console.config import ConsoleSettings

    port = free_port()
    server, thread = serve(
        ConsoleSettings(database_url=database_url, data_dir=data_dir), "127.0.0.1", port
    )
    assert wait_for_port("127.0.0.1", port, 15), "console did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def pdf_text(path: Path) -> str:
    """The text of a PDF by poppler's pdftotext: proves the file opens."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout
