"""Render every kiosk screen in every language at both orientations (no broker needed).

Each screen is staged through the view-model's public actions with a recording sender, a
fixed clock and scripted store messages, exactly as a real session would reach it. The
widget tree is rendered offscreen at the exact size, checked with :func:`shared.ui.fit.misfits`
and saved as ``<screen>-<lang>-<orientation>.png``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.domain.escalation import KioskIdentity
from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from shared.device_runtime import Delivery
from shared.i18n import LANGUAGES
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import Acknowledged, Message, Presence

ORIENTATIONS = {"landscape": (1280, 800), "portrait": (800, 1280)}
T0 = datetime(2025, 3, 14, 10, 0, 0, tzinfo=UTC)


class RecordingSender:
    """Stands in for DeviceRuntime: keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[Message, str, bool]] = []

    def send(self, message: Message, topic: str, *, needs_receipt: bool = False) -> None:
        self.sent.append((message, topic, needs_receipt))


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def demo_vm(*, drill: bool = False) -> tuple[KioskViewModel, RecordingSender, FakeClock]:
    """A view-model for a demo counter with a recording sender and a fixed clock."""
    sender, clock = RecordingSender(), FakeClock()
    identity = KioskIdentity(
        store="demo", device="kiosk-1", counter="Counter 2", emergency_number="112", drill=drill
    )
    vm = KioskViewModel(identity, sender, settings=KioskSettings(), clock=clock)
    vm.on_link(LinkEvent(LinkState.ONLINE))
    for device, role, name in (
        ("pager-m1", "manager", "Alex"),
        ("pager-m2", "manager", "Robin"),
        ("pager-s1", "security", "Sam"),
    ):
        vm.on_message(
            Presence(
                store="demo",
                device=device,
                kind="pager",
                role=role,
                online=True,
                on_duty=True,
                display_name=name,
                sent_at=clock.now,
            )
        )
    return vm, sender, clock


def deliver_all(vm: KioskViewModel, sender: RecordingSender) -> None:
    for message, _topic, _receipt in sender.sent:
        vm.on_delivery(Delivery(message.event_id, "delivered", "ok"))


def acknowledge(vm: KioskViewModel, clock: FakeClock, name: str, role: str) -> None:
    view = vm.escalation.view
    assert view is not None
    vm.on_message(
        Acknowledged(
            store="demo",
            device=f"pager-{role[0]}1",
            alert_id=view.alert_id,
            responder_name=name,
            responder_role=role,  # type: ignore[arg-type]
            sent_at=clock.now,
            event_id=uuid.uuid4(),
        )
    )


def _steps(vm: KioskViewModel, clock: FakeClock, situation: str = "angry", step: int = 2) -> None:
    vm.choose(situation)
    for _ in range(step):
        vm.next_step()
    clock.advance(134)
    vm.tick()


def stage(name: str, vm: KioskViewModel, sender: RecordingSender, clock: FakeClock) -> None:
    """Drive a fresh view-model to the named screen state."""
    if name == "home":
        return
    if name == "triage":
        vm.start_triage()
    elif name == "steps":
        _steps(vm, clock)
    elif name == "steps_over_limit":
        _steps(vm, clock, "rude", 4)
        clock.advance(11 * 60)
        vm.tick()
    elif name == "steps_trigger":
        _steps(vm, clock, "rude", 2)  # on_trigger: "Call a manager if: …" under the step
    elif name == "steps_threat":
        _steps(vm, clock, "threatening", 3)
    elif name == "triage_weapon":  # a yes to the weapon question opens the robbery steps
        vm.start_triage()
        vm.answer(True)
    elif name == "steps_contact":  # physical contact: Security, and the number on step one
        vm.start_triage()
        vm.answer(False)
        vm.answer(True)
    elif name == "steps_calls":  # "call the police": the store's number, large
        _steps(vm, clock, "robbery", 3)
    elif name == "basics":  # the general flow card, opened from the home screen
        vm.show_basics()
    elif name == "alert_not_delivered":
        _steps(vm, clock)
        vm.on_link(LinkEvent(LinkState.OFFLINE))
        vm.tap_escalate("security")
        clock.advance(4)
        vm.tick()
    elif name == "alert_manager_undo":
        _steps(vm, clock)
        vm.tap_escalate("manager")
        deliver_all(vm, sender)
        clock.advance(1)
        vm.tick()
    elif name == "alert_on_the_way":
        _steps(vm, clock)
        vm.tap_escalate("security")
        deliver_all(vm, sender)
        clock.advance(9)
        acknowledge(vm, clock, "Sam", "security")
        clock.advance(9)
        vm.tick()
    elif name == "alert_no_answer":
        _steps(vm, clock)
        vm.tap_escalate("security")
        for _ in range(7):
            clock.advance(10)
            vm.tick()
            deliver_all(vm, sender)
    elif name == "alert_manager_no_answer":  # nobody answered: "Call security too", no tick
        _steps(vm, clock)
        vm.tap_escalate("manager")
        for _ in range(13):
            clock.advance(10)
            vm.tick()
            deliver_all(vm, sender)
    elif name.startswith("silent_"):  # the disguised control's words, on the step screen
        _steps(vm, clock)
        vm.tap_silent()
        if name == "silent_checking":
            deliver_all(vm, sender)
        elif name == "silent_on_its_way":
            deliver_all(vm, sender)
            clock.advance(6)
            acknowledge(vm, clock, "Sam", "security")
        elif name == "silent_not_in_stock":
            for _ in range(7):
                clock.advance(10)
                vm.tick()
                deliver_all(vm, sender)
        vm.tick()
    elif name == "steps_drill_alert":  # a drill: DRILL in the banner itself
        _steps(vm, clock)
        vm.tap_escalate("manager")
        deliver_all(vm, sender)
        vm.back_from_panel()
        clock.advance(8)
        vm.tick()
    elif name == "wrapup":
        _steps(vm, clock)
        vm.calmed()
    elif name == "wrapup_details":
        _steps(vm, clock)
        vm.calmed()
        form = vm.wrapup
        form.outcome, form.violence_type, form.follow_up = "customer_left", "verbal_abuse", True
        form.caution = True
        form.notes = "Shouted about a late delivery, left after five minutes."
    elif name == "wrapup_bottom":  # scrolled to the end by render_all (SCROLLED_TO_BOTTOM)
        _steps(vm, clock)
        vm.calmed()
        form = vm.wrapup
        form.outcome, form.violence_type = "customer_left", "verbal_abuse"
        form.notes = "Shouted about a late delivery, left after five minutes."
        form.follow_up, form.follow_up_in = True, "this_week"
        form.caution = True
        form.caution_description = "Shouts and slams the counter"
        form.caution_reason = "Has thrown a basket before"
    elif name == "selfcare":
        _steps(vm, clock)
        vm.calmed()
        vm.wrapup.outcome = "resolved_on_spot"
        vm.save_wrapup()
    elif name == "selfcare_aftercare":  # after a security alert: aftercare lines first
        _steps(vm, clock, "threatening", 1)
        vm.tap_escalate("security")
        deliver_all(vm, sender)
        vm.resolved_here()
        vm.wrapup.outcome = "security_removed"
        vm.save_wrapup()
    elif name == "exit":
        vm.request_exit()
        vm.pin_key("1")
        vm.pin_key("2")
    else:
        raise KeyError(f"unknown screen state {name!r}")


SCREEN_STATES: tuple[str, ...] = (
    "home",
    "triage",
    "steps",
    "steps_over_limit",
    "steps_trigger",
    "steps_threat",
    "triage_weapon",
    "steps_contact",
    "steps_calls",
    "basics",
    "alert_not_delivered",
    "alert_manager_undo",
    "alert_on_the_way",
    "alert_no_answer",
    "alert_manager_no_answer",
    "silent_checking",
    "silent_on_its_way",
    "silent_not_in_stock",
    "steps_drill_alert",
    "wrapup",
    "wrapup_details",
    "wrapup_bottom",
    "selfcare",
    "selfcare_aftercare",
    "exit",
)


DRILL_STATES: frozenset[str] = frozenset({"alert_on_the_way", "steps_drill_alert"})

SCROLLED_TO_BOTTOM: frozenset[str] = frozenset({"wrapup_bottom"})
"""States shown with their screen's scrolling content at its end (the lower half of a form)."""


def scroll_to_bottom(root: object) -> int:
    """Scroll every ScrollView on the shown screen to its end; return how many could scroll."""
    from kivy.uix.scrollview import ScrollView

    scrolled = 0
    for widget in root.walk(restrict=True):  # type: ignore[attr-defined]
        if isinstance(widget, ScrollView) and widget.viewport_size[1] > widget.height:
            widget.scroll_y = 0
            scrolled += 1
    return scrolled


def selected_states() -> tuple[str, ...]:
    """``CALMDESK_SCREENSHOT_STATES=a,b`` renders only those states (quicker when iterating)."""
    import os

    chosen = [s for s in os.environ.get("CALMDESK_SCREENSHOT_STATES", "").split(",") if s]
    return tuple(s for s in SCREEN_STATES if s in chosen) if chosen else SCREEN_STATES


def render_all(
    out_dir: Path,
    *,
    states: tuple[str, ...] | None = None,
    languages: tuple[str, ...] = LANGUAGES,
    orientations: tuple[str, ...] = tuple(ORIENTATIONS),
    on_each: Callable[[str, object], None] | None = None,
) -> list[str]:
    """Render and check every state × language × orientation; return the problems found."""
    from kiosk.views import KioskRoot
    from shared.ui.fit import misfits
    from shared.ui.screenshot import save_png, settle

    problems: list[str] = []
    states = states if states is not None else selected_states()
    for orientation in orientations:
        size = ORIENTATIONS[orientation]
        for state in states:
            for lang in languages:
                vm, sender, clock = demo_vm(drill=state in DRILL_STATES)
                vm.lang = lang
                root = KioskRoot(vm=vm, size_hint=(None, None), size=size)
                stage(state, vm, sender, clock)
                settle(4)
                name = f"{state}-{lang}-{orientation}"
                if state in SCROLLED_TO_BOTTOM:
                    if not scroll_to_bottom(root):
                        problems.append(f"{name}: nothing to scroll, the state shows nothing new")
                    settle(4)
                problems += [f"{name}: {misfit}" for misfit in misfits(root)]
                save_png(root, out_dir / f"{name}.png")
                if on_each is not None:
                    on_each(name, root)
    return problems
