"""Common CalmDesk widgets (kiosk and pager). Importing this registers the font and loads
``widgets.kv``; it needs a window, so only views and apps import it (never domain code).

Widgets (rules and sizes in widgets.kv):
- ``KinsokuLabel``: a Label that breaks Japanese text by the kinsoku rules (base of the rest).
- ``WrapLabel``: wraps to its width and grows to its text's height (never clips).
- ``StepLabel``: a WrapLabel at 30 sp that drops one notch when the text would run past four
  lines (UI.md: "shrink step text one notch before wrapping past four lines"); the
  say-script uses it at 38 sp, the largest text of the step screen.
- ``BoxLabel``: wraps inside a fixed box (for grids and tiles).
- ``CalmButton``: rounded, ≥ 48 dp, wrapping centred text; ``bg`` sets its colour.
- ``EscalationButton`` / ``EscalationBar``: ≥ 96 dp tall, 24 dp apart, icon + word + colour.
- ``HoldButton``: fires ``on_hold`` after ``hold_seconds`` of continuous press (staff exit).
- ``Icon``: a shape drawn on the canvas (check, circle, warning, person, shield, dot, bullet),
  so a state never depends on a glyph being in the font.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, Mesh
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from shared.ui import theme
from shared.ui.line_breaking import needs_cjk_breaking, wrap

theme.register_fonts()


class KinsokuLabel(Label):
    """A Label that breaks Japanese lines itself (see :mod:`shared.ui.line_breaking`).

    Kivy would cut a run of Japanese wherever the width ends, leaving "。" at the start of a
    line. Before each render, text with ideographs or kana is given explicit line breaks that
    follow the kinsoku rules; ``text`` itself is unchanged. Other text is left to Kivy.
    """

    def texture_update(self, *largs: object) -> None:
        core = self._label  # type: ignore[attr-defined]
        width = self.text_size[0]
        if not self.markup and width is not None and needs_cjk_breaking(self.text):
            left, _top, right, _bottom = core.options["padding"]
            available = width - left - right - 1  # a pixel of slack against rounding
            core.resolve_font_name()  # measure in the font about to render (refresh() does too)
            core.text = wrap(self.text, available, lambda s: core.get_extents(s)[0])
        super().texture_update(*largs)


class WrapLabel(KinsokuLabel):
    """Wraps to its width; its height follows the text."""


class BoxLabel(KinsokuLabel):
    """Wraps inside its given box (size set by the layout)."""


class StepLabel(WrapLabel):
    """Step text: ``big_sp``, one notch smaller (``small_sp``) rather than wrapping past
    ``max_lines`` lines."""

    big_sp = NumericProperty(theme.STEP_SP)
    small_sp = NumericProperty(theme.STEP_SP_SMALL)
    max_lines = NumericProperty(theme.STEP_MAX_LINES)

    def on_text(self, *_args: object) -> None:
        self.font_size = sp(self.big_sp)

    def on_texture_size(self, *_args: object) -> None:
        if not self.text or self.font_size <= sp(self.small_sp):
            return
        line_height = self._label.get_extents("Ág")[1] * self.line_height  # type: ignore[union-attr]
        if line_height and self.texture_size[1] > line_height * self.max_lines + 1:
            self.font_size = sp(self.small_sp)


class CalmButton(ButtonBehavior, KinsokuLabel):
    """A rounded button at least 48 dp high whose text wraps instead of clipping."""

    bg = ColorProperty(theme.SURFACE_HI)
    fg = ColorProperty(theme.TEXT)
    outline = ColorProperty((0, 0, 0, 0))
    selected = BooleanProperty(False)
    wrap = BooleanProperty(True)
    text_inset = NumericProperty(24)
    """Horizontal room (dp) kept free beside wrapped text, e.g. for an icon."""
    """Wrap the text to the button's width; False for buttons sized from their text."""


class HoldButton(CalmButton):
    """Fires ``on_hold`` after ``hold_seconds`` of continuous press; a shorter press fires
    ``on_tap`` instead. ``progress`` (0..1) fills while held when ``show_progress`` is set
    (hold-to-cancel shows it; the hidden gestures do not)."""

    hold_seconds = NumericProperty(3.0)
    progress = NumericProperty(0.0)
    show_progress = BooleanProperty(False)
    __events__ = ("on_hold", "on_tap")

    def on_press(self) -> None:
        self._held = False
        self._pressed_at = Clock.get_boottime()
        self._hold = Clock.schedule_once(self._fire, self.hold_seconds)
        self._fill = Clock.schedule_interval(self._advance, 1 / 30)

    def _advance(self, _dt: float) -> None:
        elapsed = Clock.get_boottime() - getattr(self, "_pressed_at", 0.0)
        self.progress = min(1.0, elapsed / max(self.hold_seconds, 0.01))

    def _fire(self, _dt: float) -> None:
        self._held = True
        self._stop_fill()
        self.dispatch("on_hold")

    def _stop_fill(self) -> None:
        fill = getattr(self, "_fill", None)
        if fill is not None:
            fill.cancel()
        self.progress = 0.0

    def on_release(self) -> None:
        hold = getattr(self, "_hold", None)
        if hold is not None:
            hold.cancel()
        self._stop_fill()
        if not getattr(self, "_held", False):
            self.dispatch("on_tap")

    def on_hold(self) -> None:
        """Default handler (bind in kv)."""

    def on_tap(self) -> None:
        """A press released before the hold time (bind in kv)."""


class Icon(Widget):
    """A simple shape icon drawn on the canvas in ``color``."""

    kind = OptionProperty(
        "circle",
        options=(
            "check",
            "circle",
            "warning",
            "person",
            "shield",
            "dot",
            "bullet",
            "box",
            "box_checked",
        ),
    )
    color = ColorProperty(theme.TEXT)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, kind=self._draw, color=self._draw)
        self._draw()

    def _draw(self, *_args: object) -> None:
        self.canvas.clear()
        s = min(self.width, self.height)
        x0, y0 = self.center_x - s / 2, self.center_y - s / 2
        w = max(1.5, s / 10)
        with self.canvas:
            Color(*self.color)
            if self.kind == "check":
                Line(
                    points=[
                        x0 + s * 0.15,
                        y0 + s * 0.5,
                        x0 + s * 0.42,
                        y0 + s * 0.22,
                        x0 + s * 0.88,
                        y0 + s * 0.8,
                    ],
                    width=w,
                    cap="round",
                    joint="round",
                )
            elif self.kind in ("box", "box_checked"):
                inset = s * 0.1
                side = s - 2 * inset
                Line(rectangle=(x0 + inset, y0 + inset, side, side), width=w * 0.8)
                if self.kind == "box_checked":
                    Line(
                        points=[
                            x0 + s * 0.25,
                            y0 + s * 0.5,
                            x0 + s * 0.44,
                            y0 + s * 0.3,
                            x0 + s * 0.78,
                            y0 + s * 0.74,
                        ],
                        width=w * 1.2,
                        cap="round",
                        joint="round",
                    )
            elif self.kind == "circle":
                Line(circle=(self.center_x, self.center_y, s * 0.38), width=w * 0.8)
            elif self.kind in ("dot", "bullet"):
                r = s * (0.42 if self.kind == "dot" else 0.18)
                Ellipse(pos=(self.center_x - r, self.center_y - r), size=(2 * r, 2 * r))
            elif self.kind == "warning":
                pts = [
                    x0 + s * 0.5,
                    y0 + s * 0.95,
                    x0 + s * 0.02,
                    y0 + s * 0.08,
                    x0 + s * 0.98,
                    y0 + s * 0.08,
                ]
                Mesh(vertices=_verts(pts), indices=[0, 1, 2], mode="triangle_fan")
                Color(0, 0, 0, 1)
                Line(
                    points=[x0 + s * 0.5, y0 + s * 0.7, x0 + s * 0.5, y0 + s * 0.38], width=w * 0.8
                )
                Ellipse(pos=(x0 + s * 0.45, y0 + s * 0.16), size=(s * 0.1, s * 0.1))
            elif self.kind == "person":
                Ellipse(pos=(x0 + s * 0.33, y0 + s * 0.6), size=(s * 0.34, s * 0.34))
                Ellipse(
                    pos=(x0 + s * 0.12, y0 - s * 0.25),
                    size=(s * 0.76, s * 0.8),
                    angle_start=-90,
                    angle_end=90,
                )
            elif self.kind == "shield":
                outline = [
                    (0.5, 0.55),
                    (0.1, 0.85),
                    (0.5, 1),
                    (0.9, 0.85),
                    (0.9, 0.5),
                    (0.5, 0),
                    (0.1, 0.5),
                    (0.1, 0.85),
                ]
                pts = [v for px, py in outline for v in (x0 + s * px, y0 + s * py)]
                Mesh(vertices=_verts(pts), indices=list(range(len(outline))), mode="triangle_fan")


def _verts(points: list[float]) -> list[float]:
    out: list[float] = []
    for i in range(0, len(points), 2):
        out += [points[i], points[i + 1], 0, 0]
    return out


class EscalationButton(CalmButton):
    """MANAGER (amber, person) or SECURITY (red, shield): ≥ 96 dp, icon + word + colour."""

    level = OptionProperty("manager", options=("manager", "security"))
    subtitle = StringProperty("")
    highlight = BooleanProperty(False)
    """Outlined: the playbook (or a no-answer) says this is the button to use now. A steady
    outline, never a flash: the customer can see the kiosk (UI.md)."""


class EscalationBar(BoxLayout):
    """The two escalation buttons, always in the same place on every screen."""

    manager_text = StringProperty("MANAGER")
    security_text = StringProperty("SECURITY")
    manager_subtitle = StringProperty("")
    security_subtitle = StringProperty("")
    highlight = StringProperty("")
    """'manager', 'security' or '': which button is outlined."""
    __events__ = ("on_manager", "on_security")

    def on_manager(self) -> None:
        """Bind in kv or Python."""

    def on_security(self) -> None:
        """Bind in kv or Python."""


class StatusDot(Widget):
    """A small dot whose shade is the agreed sign of a silent alert (theme.DOT_SHADES)."""

    state = OptionProperty("idle", options=tuple(theme.DOT_SHADES))


Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
