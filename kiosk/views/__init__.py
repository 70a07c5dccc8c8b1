"""Kiosk views: thin widget classes; layout and bindings live in one .kv file per screen.

Every view gets the one :class:`kiosk.viewmodel.KioskViewModel` as ``vm`` at construction
and only binds to its properties or calls its methods. Importing this module registers the
font and loads the .kv files (it needs a window: apps and UI tests only).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk.domain.flow import SCREENS
from kiosk.domain.wrapup import FOLLOW_UP_HOURS, OUTCOMES, PERPETRATORS, VIOLENCE_TYPES
from shared.ui import theme
from shared.ui.widgets import CalmButton, EscalationBar

VIEWS = Path(__file__).resolve().parent
KV_FILES = (
    "status_strip",
    "home",
    "triage",
    "steps",
    "alert",
    "wrapup",
    "selfcare",
    "exit",
    "card",
    "root",
)


class KioskVmScreen(Screen):
    """A screen bound to the view-model; ``watch`` lists vm properties that rebuild it."""

    vm = ObjectProperty(None, rebind=True)
    watch: tuple[str, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if self.watch and self.vm is not None:
            self.vm.bind(**dict.fromkeys(self.watch, self._rebuild))
            self._rebuild()

    def _rebuild(self, *_args: object) -> None:
        """Recreate the dynamic parts (lists) from the view-model."""


class KioskHomeScreen(KioskVmScreen):
    watch = ("tiles", "lang")

    def _rebuild(self, *_args: object) -> None:
        grid = self.ids.grid
        grid.clear_widgets()
        vm = self.vm
        triage = Factory.KioskTile(text=vm.tr("home.quick_triage"), bg=theme.ACCENT, fg=theme.BG)
        triage.bind(on_release=lambda *_: vm.start_triage())
        grid.add_widget(triage)
        for tile in vm.tiles:
            button = Factory.KioskTile(text=tile["title"])
            button.bind(on_release=partial(_choose, vm, tile["id"]))
            grid.add_widget(button)
        basics = Factory.KioskTile(text=vm.card_title, outline=theme.ACCENT)
        basics.bind(on_release=lambda *_: vm.show_basics())
        grid.add_widget(basics)


def _choose(vm: object, situation: str, *_args: object) -> None:
    vm.choose(situation)  # type: ignore[attr-defined]


class KioskTriageScreen(KioskVmScreen):
    pass


class KioskStepsScreen(KioskVmScreen):
    pass


class KioskAlertScreen(KioskVmScreen):
    watch = ("panel_lines", "advice_lines", "advice_number")

    def _rebuild(self, *_args: object) -> None:
        lines, advice = self.ids.lines, self.ids.advice
        lines.clear_widgets()
        for line in self.vm.panel_lines:
            row = Factory.KioskPanelRow()
            row.state, row.text = line["state"], line["text"]
            lines.add_widget(row)
        advice.clear_widgets()
        if self.vm.advice_number:  # the card says to phone: the number first, large
            number = self.vm.tr("kiosk.call.number", number=self.vm.advice_number)
            advice.add_widget(Factory.KioskCallNumber(text=number))
        for text in self.vm.advice_lines:
            advice.add_widget(Factory.WrapLabel(text=f"• {text}", color=theme.TEXT))


class KioskWrapUpScreen(KioskVmScreen):
    watch = ("lang", "wrapup")

    def _rebuild(self, *_args: object) -> None:
        form = self.vm.wrapup
        self._choices(self.ids.outcomes, "outcome", [(o, f"outcome.{o}") for o in OUTCOMES])
        self._choices(
            self.ids.violence, "violence_type", [(v, f"kiosk.violence.{v}") for v in VIOLENCE_TYPES]
        )
        self._choices(
            self.ids.who, "perpetrator", [(p, f"kiosk.perpetrator.{p}") for p in PERPETRATORS]
        )
        self._choices(
            self.ids.follow_up,
            "follow_up_in",
            [(f, f"kiosk.wrapup.due_{f}") for f in FOLLOW_UP_HOURS],
        )
        if not getattr(self, "_bound", False):
            form.bind(
                outcome=self._rebuild,
                violence_type=self._rebuild,
                perpetrator=self._rebuild,
                follow_up_in=self._rebuild,
            )
            self._bound = True

    def _choices(self, grid: object, field: str, options: list[tuple[str, str]]) -> None:
        grid.clear_widgets()  # type: ignore[attr-defined]
        form = self.vm.wrapup
        for value, key in options:
            chosen = getattr(form, field) == value
            button = Factory.KioskToggle(
                text=self.vm.tr(key),
                selected=chosen,
                bg=theme.ACCENT if chosen else theme.SURFACE_HI,
                fg=theme.BG if chosen else theme.TEXT,
            )
            button.bind(on_release=partial(_set, form, field, value))
            grid.add_widget(button)  # type: ignore[attr-defined]


def _set(target: object, field: str, value: object, *_args: object) -> None:
    setattr(target, field, value)


class KioskCardScreen(KioskVmScreen):
    watch = ("card_lines",)

    def _rebuild(self, *_args: object) -> None:
        lines = self.ids.lines
        lines.clear_widgets()
        for text in self.vm.card_lines:
            lines.add_widget(Factory.WrapLabel(text=f"• {text}"))


class KioskSelfCareScreen(KioskVmScreen):
    watch = ("selfcare_lines",)

    def _rebuild(self, *_args: object) -> None:
        lines = self.ids.lines
        lines.clear_widgets()
        for text in self.vm.selfcare_lines:
            lines.add_widget(Factory.WrapLabel(text=f"• {text}"))


class KioskPinKey(CalmButton):
    vm = ObjectProperty(None)
    key = StringProperty("")


class KioskExitScreen(KioskVmScreen):
    watch = ("lang",)

    def _rebuild(self, *_args: object) -> None:
        keypad = self.ids.keypad
        keypad.clear_widgets()
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"):
            label = {"clear": "C", "ok": "OK"}.get(key, key)
            extra = {"bg": theme.ACCENT, "fg": theme.BG} if key == "ok" else {}
            keypad.add_widget(KioskPinKey(vm=self.vm, key=key, text=label, **extra))


class KioskStatusStrip(BoxLayout):
    vm = ObjectProperty(None, rebind=True)


SCREEN_CLASSES: dict[str, type[KioskVmScreen]] = {
    "home": KioskHomeScreen,
    "triage": KioskTriageScreen,
    "steps": KioskStepsScreen,
    "alert": KioskAlertScreen,
    "wrapup": KioskWrapUpScreen,
    "selfcare": KioskSelfCareScreen,
    "exit": KioskExitScreen,
    "card": KioskCardScreen,
}
assert set(SCREEN_CLASSES) == set(SCREENS)


class KioskRoot(BoxLayout):
    """Status strip, the current screen, and the escalation bar that never moves."""

    vm = ObjectProperty(None, rebind=True)

    def __init__(self, vm: object, **kwargs: object) -> None:
        super().__init__(vm=vm, **kwargs)
        self.strip = KioskStatusStrip(vm=vm)
        self.manager = ScreenManager(transition=NoTransition())
        for name, cls in SCREEN_CLASSES.items():
            self.manager.add_widget(cls(name=name, vm=vm))
        self.bar = self._bar(vm)
        for child in (self.strip, self.manager, self.bar):
            self.add_widget(child)
        vm.bind(screen=self._show)
        self.bind(size=self._orient)
        self._orient()
        self._show(vm, vm.screen)

    def _bar(self, vm: object) -> EscalationBar:
        bar = EscalationBar()
        bar.bind(
            on_manager=lambda *_: vm.tap_escalate("manager"),  # type: ignore[attr-defined]
            on_security=lambda *_: vm.tap_escalate("security"),  # type: ignore[attr-defined]
        )

        def texts(*_args: object) -> None:
            bar.manager_text = vm.tr("escalate.manager")  # type: ignore[attr-defined]
            bar.security_text = vm.tr("escalate.security")  # type: ignore[attr-defined]
            # the view-model never claims a tick the broker has not confirmed
            subtitle = vm.bar_subtitle  # type: ignore[attr-defined]
            loud, level = vm.alert_loud, vm.alert_level  # type: ignore[attr-defined]
            bar.manager_subtitle = subtitle if loud and level == "manager" else ""
            bar.security_subtitle = subtitle if loud and level == "security" else ""
            bar.highlight = vm.bar_highlight  # type: ignore[attr-defined]

        vm.bind(  # type: ignore[attr-defined]
            lang=texts,
            alert_loud=texts,
            alert_level=texts,
            bar_subtitle=texts,
            bar_highlight=texts,
        )
        texts()
        return bar

    def _show(self, _vm: object, screen: str) -> None:
        self.manager.current = screen

    def _orient(self, *_args: object) -> None:
        self.vm.portrait = self.height > self.width


def load_views() -> None:
    """Load every .kv file once (idempotent)."""
    for name in KV_FILES:
        path = str(VIEWS / f"{name}.kv")
        if path not in Builder.files:
            Builder.load_file(path)


load_views()
