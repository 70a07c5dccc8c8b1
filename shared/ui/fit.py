"""Check that every visible label's text fits its box, and every box fits the screen.

Used by the screenshot command and the UI tests in every language and orientation. It looks
at what Kivy actually rendered: a label's texture (its text as drawn) must not be larger than
the label, and the label must lie inside the root widget and inside the widgets that lay it
out (a BoxLayout overfilled with tall labels pushes them off its edge without any error).
"""

from __future__ import annotations

from dataclasses import dataclass

from kivy.uix.label import Label
from kivy.uix.screenmanager import ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

TOLERANCE_PX = 2.0


@dataclass(frozen=True, slots=True)
class Misfit:
    """One problem: which label, what text, and how it fails."""

    widget: str
    text: str
    problem: str

    def __str__(self) -> str:
        return f"{self.widget} {self.text[:40]!r}: {self.problem}"


def _visible_children(widget: Widget) -> list[Widget]:
    if isinstance(widget, ScreenManager):
        return [widget.current_screen] if widget.current_screen is not None else []
    return [child for child in widget.children if child.opacity > 0]


def _inside(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    t = TOLERANCE_PX
    return x >= ox - t and y >= oy - t and x + w <= ox + ow + t and y + h <= oy + oh + t


def _intersection(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    x, y = max(a[0], b[0]), max(a[1], b[1])
    right, top = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return x, y, max(right - x, 0.0), max(top - y, 0.0)


def misfits(root: Widget) -> list[Misfit]:
    """Every label in ``root``'s visible tree whose text or box does not fit."""
    found: list[Misfit] = []
    root_box = (*root.to_window(*root.pos), *root.size)

    def walk(
        widget: Widget, clip: tuple[float, float, float, float] | None, scrolled: bool = False
    ) -> None:
        box = (*widget.to_window(*widget.pos), *widget.size)
        if isinstance(widget, Label) and widget.text.strip() and widget.opacity > 0:
            name = type(widget).__name__
            tw, th = widget.texture_size
            if tw > widget.width + TOLERANCE_PX or th > widget.height + TOLERANCE_PX:
                found.append(
                    Misfit(
                        name,
                        widget.text,
                        (
                            f"text {tw:.0f}x{th:.0f} px is larger than its box "
                            f"{widget.width:.0f}x{widget.height:.0f} px"
                        ),
                    )
                )
            elif scrolled:
                pass  # inside a ScrollView: only the text-in-box check applies
            elif not _inside(box, root_box):
                found.append(Misfit(name, widget.text, f"box {box} is outside the screen"))
            elif clip is not None and not _inside(box, clip):
                found.append(Misfit(name, widget.text, f"box {box} spills out of {clip}"))
        inner = clip
        scrolled = scrolled or isinstance(widget, ScrollView)
        if widget.children and widget is not root and widget.width > 0 and widget.height > 0:
            # every ancestor's box, not just the parent's: an overfilled layout pushes a
            # whole child layout (and the labels in it) off its edge
            inner = box if clip is None else _intersection(box, clip)
        for child in _visible_children(widget):
            walk(child, inner, scrolled)

    walk(root, None)
    return found
