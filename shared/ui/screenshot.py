"""Render a widget tree to a PNG at an exact size, without depending on the window size.

``export_to_png`` draws through an offscreen framebuffer, so a portrait 800x1280 picture can
be taken on a 1280x800 Xvfb screen. Call :func:`settle` after changing state so that layouts
and label textures are up to date before checking or saving.
"""

from __future__ import annotations

from pathlib import Path

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.uix.widget import Widget


def settle(frames: int = 3) -> None:
    """Run a few frames of the Kivy loop (layouts and text textures update on the Clock)."""
    for _ in range(frames):
        Clock.tick()
        EventLoop.idle()


def save_png(widget: Widget, path: Path) -> Path:
    """Write ``widget`` (as laid out now) to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.export_to_png(str(path))
    return path
