"""The pager's views: one .kv file per screen plus thin widget classes. Importing this module
needs a window (it loads kv and registers the font), so only app.py and screenshots import it.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Color, Line, PopMatrix, PushMatrix, Rotate
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.widget import Widget

import shared.ui.widgets  # noqa: F401  (registers CalmDeskSans and the shared widget rules)
from shared.ui import theme
from shared.ui.widgets import CalmButton

KV_DIR = Path(__file__).resolve().parent
KV_FILES = ("widgets.kv", "signin.kv", "home.kv", "alert.kv", "resolve.kv", "history.kv", "root.kv")
FLASH_S = 0.5

LEVEL_COLOURS = {
    # (bright, flash) backgrounds and the text colour that reads on both.
    "security": (theme.RED, theme.RED_FLASH, theme.TEXT),
    "manager": (theme.AMBER, theme.AMBER_FLASH, theme.ON_AMBER),
}


class PagerButton(CalmButton):
    """A CalmButton with a test id (``tid``) so tests and the X-input driver can find it."""

    tid = StringProperty("")


class Band(BoxLayout):
    """The full-width level band: colour + icon + word; flashes while the alert rings."""

    level = OptionProperty("security", options=("security", "manager"))
    flashing = BooleanProperty(False)
    lit = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._flash = None
        self.bind(flashing=self._on_flashing)

    def background(self, level: str, lit: bool) -> tuple[float, ...]:
        bright, flash, _ = LEVEL_COLOURS[level]
        return bright if lit else flash

    def foreground(self, level: str) -> tuple[float, ...]:
        return LEVEL_COLOURS[level][2]

    def _on_flashing(self, *_args: object) -> None:
        if self.flashing and self._flash is None:
            self._flash = Clock.schedule_interval(self._toggle, FLASH_S)
        elif not self.flashing and self._flash is not None:
            self._flash.cancel()
            self._flash = None
            self.lit = True

    def _toggle(self, _dt: float) -> None:
        self.lit = not self.lit


class DrillStamp(Label):
    """A diagonal "DRILL" stamp across an alert view (sized to its text, so it always fits)."""

    angle = NumericProperty(18)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        with self.canvas.before:
            PushMatrix()
            self._rotate = Rotate(angle=self.angle, origin=self.center)
            self._frame_colour = Color(*theme.DRILL)
            self._frame = Line(rectangle=(*self.pos, *self.size), width=3)
        with self.canvas.after:
            PopMatrix()
        self.bind(pos=self._update, size=self._update, angle=self._update, opacity=self._update)

    def _update(self, *_args: object) -> None:
        self._rotate.angle = self.angle
        self._rotate.origin = self.center
        self._frame.rectangle = (*self.pos, *self.size)
        self._frame_colour.a = self.color[3]


class AlertItem(ButtonBehavior, BoxLayout):
    """One row of the active list or of today's history."""

    item = ObjectProperty({}, rebind=True)
    vm = ObjectProperty(None, allownone=True, rebind=True)
    tid = StringProperty("")

    def on_release(self) -> None:
        if self.vm is not None and self.item.get("alert_id"):
            self.vm.open_alert(self.item["alert_id"])


class ItemList(BoxLayout):
    """A vertical list of AlertItems rebuilt from a list of dicts."""

    items = ListProperty([])
    vm = ObjectProperty(None, allownone=True, rebind=True)
    tappable = BooleanProperty(True)

    def on_items(self, *_args: object) -> None:
        self.clear_widgets()
        for index, item in enumerate(self.items):
            self.add_widget(
                AlertItem(item=item, vm=self.vm if self.tappable else None, tid=f"item{index}")
            )


class SignInScreen(Screen):
    vm = ObjectProperty(None, allownone=True, rebind=True)


class HomeScreen(Screen):
    vm = ObjectProperty(None, allownone=True, rebind=True)


class AlertScreen(Screen):
    vm = ObjectProperty(None, allownone=True, rebind=True)
    fill = ListProperty([0, 0, 0, 0])
    """The whole screen's colour: the band's (flashing with it) while the alert waits for my
    acknowledgement, else transparent."""

    def on_kv_post(self, *_args: object) -> None:
        band = self.ids.band
        band.bind(level=self._fill, lit=self._fill)
        self.bind(vm=self._fill)
        self._fill()

    def _fill(self, *_args: object) -> None:
        vm, band = self.vm, self.ids.band
        if vm is not None and getattr(self, "_watching", None) is not vm:
            vm.bind(takeover=self._fill)
            self._watching = vm
        taking_over = vm is not None and vm.takeover
        self.fill = list(band.background(band.level, band.lit)) if taking_over else [0, 0, 0, 0]


class ResolveScreen(Screen):
    vm = ObjectProperty(None, allownone=True, rebind=True)

    def on_pre_enter(self, *_args: object) -> None:
        self.ids.note.text = ""


class HistoryScreen(Screen):
    vm = ObjectProperty(None, allownone=True, rebind=True)


class PagerRoot(BoxLayout):
    """Header, the screens, and the Active/Today footer; bound to one PagerViewModel."""

    vm = ObjectProperty(None, rebind=True)

    def follow(self) -> None:
        """Keep the ScreenManager on the view-model's screen."""
        self.ids.sm.transition = NoTransition()
        self.vm.bind(screen=self._show)
        self._show()

    def _show(self, *_args: object) -> None:
        sm: ScreenManager = self.ids.sm
        if sm.current != self.vm.screen:
            sm.current = self.vm.screen


def load_views() -> None:
    """Load the kv rules once per process."""
    if getattr(load_views, "_done", False):
        return
    for name in KV_FILES:
        Builder.load_file(str(KV_DIR / name))
    load_views._done = True  # type: ignore[attr-defined]


def build_root(vm: object) -> PagerRoot:
    load_views()
    root = PagerRoot(vm=vm)
    root.follow()
    return root


def targets(root: Widget) -> dict[str, tuple[int, int]]:
    """Centres of visible buttons with a ``tid`` in window pixels, origin top-left (X11)."""
    found: dict[str, tuple[int, int]] = {}

    def walk(widget: Widget) -> None:
        if isinstance(widget, ScreenManager):
            children = [widget.current_screen] if widget.current_screen else []
        else:
            children = list(widget.children)
        tid = getattr(widget, "tid", "")
        if tid and widget.opacity > 0 and not widget.disabled:
            x, y = widget.to_window(*widget.center)
            found[tid] = (round(x), round(Window.height - y))
        for child in children:
            walk(child)

    walk(root)
    return found
