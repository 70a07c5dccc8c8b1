"""The second review's screen states in a real Kivy window under Xvfb: the kiosk's no-answer
state, the disguised control's progression and hidden cancel, and on the pager the
stood-down notice and the NOT CONNECTED screen. Touches go through the window's input
dispatch; assertions read the labels staff would read; each state is saved as a PNG."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.ui,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a display: run under xvfb-run (DISPLAY is not set)",
    ),
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "second-review"


@pytest.fixture(scope="module")
def window():  # type: ignore[no-untyped-def]
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kiosk.commands import LANDSCAPE, configure_kivy

    configure_kivy(size=LANDSCAPE, fullscreen=False)
    from kivy.core.window import Window

    Window.size = LANDSCAPE
    return Window


def press(widget, hold_s: float = 0.0) -> None:  # type: ignore[no-untyped-def]
    """A real touch on the widget's centre, held for ``hold_s`` seconds of real time."""
    import time

    from kivy.tests.common import UnitTestTouch

    from shared.ui.screenshot import settle

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    deadline = time.monotonic() + hold_s
    while time.monotonic() < deadline:
        settle(1)
    touch.touch_up()
    settle(3)


def labels(root) -> list[str]:  # type: ignore[no-untyped-def]
    """The texts of the labels that can be seen (they and all their parents are opaque)."""
    from kivy.uix.label import Label

    found: list[str] = []

    def walk(widget) -> None:  # type: ignore[no-untyped-def]
        if widget.opacity <= 0:
            return
        if isinstance(widget, Label):
            found.append(widget.text)
        for child in widget.children:
            walk(child)

    walk(root)
    return found


def kiosk_root(window):  # type: ignore[no-untyped-def]
    from kiosk.screenshots import demo_vm
    from kiosk.views import KioskRoot
    from shared.ui.screenshot import settle

    vm, sender, clock = demo_vm()
    root = KioskRoot(vm=vm)
    window.add_widget(root)
    settle(3)
    return root, vm, sender, clock


def test_kiosk_no_answer_state_drops_the_tick_and_offers_security(window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.screenshots import deliver_all
    from shared.ui.fit import misfits
    from shared.ui.screenshot import save_png, settle
    from shared.ui.widgets import CalmButton

    root, vm, sender, clock = kiosk_root(window)
    try:
        vm.choose("angry")
        vm.tap_escalate("manager")
        deliver_all(vm, sender)
        settle(3)
        manager = root.bar.children[-1]
        assert "requested ✓" in manager.text
        for _ in range(13):  # past the manager ladder's last rung (120 s)
            clock.advance(10)
            vm.tick()
            deliver_all(vm, sender)
        settle(4)
        texts = labels(root)
        assert "✓" not in manager.text and "no answer yet" in manager.text
        assert "Until help arrives:" in texts and "Phone now: 112" in texts
        assert not any(t.startswith("While") for t in texts)
        assert not misfits(root)
        save_png(root, SHOTS / "kiosk_no_answer.png")
        add = next(
            w
            for w in root.walk(restrict=True)
            if isinstance(w, CalmButton) and w.text == "Call security too"
        )
        assert add.height >= 48
        press(add)  # one tap adds security
        assert sender.sent[-1][0].level == "security" and vm.alert_level == "security"
    finally:
        window.remove_widget(root)


def test_silent_control_progresses_and_a_long_press_cancels_it(window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.screenshots import acknowledge, deliver_all
    from shared.protocol import AlertCancelled, AlertRaised
    from shared.ui.screenshot import save_png, settle

    root, vm, sender, clock = kiosk_root(window)
    try:
        vm.choose("angry")
        settle(2)
        silent = root.strip.ids.silent
        silent.hold_seconds = 0.6  # the app holds for 3 s; the test need not wait that long
        assert silent.text == "Check stock"
        save_png(root, SHOTS / "silent_1_check_stock.png")
        press(silent)
        assert isinstance(sender.sent[-1][0], AlertRaised) and sender.sent[-1][0].silent
        assert silent.text == "Checking…" and vm.screen == "steps"
        deliver_all(vm, sender)
        settle(2)
        save_png(root, SHOTS / "silent_2_checking.png")
        acknowledge(vm, clock, "Sam", "security")
        settle(2)
        assert silent.text == "On its way" and vm.screen == "steps"
        save_png(root, SHOTS / "silent_3_on_its_way.png")
        press(silent)  # a short tap again changes nothing
        assert len(sender.sent) == 1
        press(silent, hold_s=1.6)  # the hidden cancel
        cancel = sender.sent[-1][0]
        assert isinstance(cancel, AlertCancelled) and cancel.reason == "false_alarm"
        assert silent.text == "Check stock" and vm.screen == "steps"
        save_png(root, SHOTS / "silent_4_cancelled.png")
    finally:
        window.remove_widget(root)


def test_kiosk_cancel_needs_a_hold(window) -> None:  # type: ignore[no-untyped-def]
    from shared.protocol import AlertCancelled
    from shared.ui.widgets import HoldButton

    root, vm, sender, _clock = kiosk_root(window)
    try:
        vm.tap_escalate("security")
        from shared.ui.screenshot import settle

        settle(3)
        cancel = next(
            w
            for w in root.manager.current_screen.walk(restrict=True)
            if isinstance(w, HoldButton) and "Hold to cancel" in w.text
        )
        press(cancel)  # a tap is not enough
        assert not any(isinstance(m, AlertCancelled) for m, _t, _r in sender.sent)
        press(cancel, hold_s=cancel.hold_seconds + 0.5)
        assert isinstance(sender.sent[-1][0], AlertCancelled)
    finally:
        window.remove_widget(root)


def pager(window, holder):  # type: ignore[no-untyped-def]
    from shared.mqtt_link import LinkEvent, LinkState
    from shared.ui.screenshot import settle
    from staff_app.domain.clock import FakeClock
    from staff_app.domain.pager import PagerCore
    from staff_app.domain.ring import RecordingAudio, RingController
    from staff_app.viewmodel import PagerViewModel
    from staff_app.views import build_root

    window.size = (420, 860)
    clock, audio = FakeClock(), RecordingAudio()
    core = PagerCore(
        holder, send=lambda m, t: None, scheduler=clock, ring=RingController(audio, clock)
    )
    vm = PagerViewModel(core)
    vm.on_link(LinkEvent(LinkState.ONLINE))
    clock.advance(60)
    vm.sign_in(True)
    root = build_root(vm)
    window.add_widget(root)
    settle(3)
    return root, vm, core, clock, audio


def test_pager_shows_stood_down_when_the_counter_calls_it_off(window) -> None:  # type: ignore[no-untyped-def]
    from shared.protocol import AlertCancelled
    from shared.ui.fit import misfits
    from shared.ui.screenshot import save_png, settle
    from staff_app.screenshots import SAM, _raise, _reply
    from staff_app.views import PagerButton

    root, vm, core, clock, _audio = pager(window, SAM)
    try:
        raised = _raise(clock, "security", 0, counter="Counter 1")
        vm.on_message(raised)
        settle(3)
        assert root.ids.sm.current == "alert" and vm.takeover
        assert not any(t == "Resolve" for t in labels(root.ids.sm.current_screen))
        save_png(root, SHOTS / "pager_takeover.png")
        core.acknowledge(raised.alert_id)
        clock.advance(20)
        vm.on_message(_reply(AlertCancelled, raised, clock, 20, reason="false_alarm"))
        settle(3)
        screen = root.ids.sm.current_screen
        assert screen.name == "home"
        assert "Stood down: false alarm at Counter\u00a01" in labels(screen)
        assert not misfits(root)
        save_png(root, SHOTS / "pager_stood_down.png")
        ok = next(
            w for w in screen.walk() if isinstance(w, PagerButton) and w.tid == "dismiss_stood_down"
        )
        press(ok)
        assert vm.stood_down_text == "" and "Stood down" not in " ".join(labels(screen))
    finally:
        window.remove_widget(root)


def test_offline_pager_fills_the_screen_with_not_connected(window) -> None:  # type: ignore[no-untyped-def]
    from shared.mqtt_link import LinkEvent, LinkState
    from shared.ui.fit import misfits
    from shared.ui.screenshot import save_png, settle
    from staff_app.screenshots import SAM

    root, vm, _core, _clock, audio = pager(window, SAM)
    try:
        screen = root.ids.sm.current_screen
        assert "All quiet — no open alerts" in labels(screen)
        vm.on_link(LinkEvent(LinkState.OFFLINE))
        settle(3)
        texts = labels(screen)
        assert "NOT CONNECTED" in texts
        assert "You will not be paged until the connection returns." in texts
        assert "All quiet — no open alerts" not in texts
        title = screen.ids.offline_title
        block = title.parent
        assert block.height > 0.6 * screen.height  # it fills the screen, not a footnote
        assert audio.played == ["manager"]  # the buzz when the connection dropped
        assert not misfits(root)
        save_png(root, SHOTS / "pager_offline.png")
        vm.on_link(LinkEvent(LinkState.ONLINE))
        settle(3)
        assert "NOT CONNECTED" not in labels(screen)
    finally:
        window.remove_widget(root)
