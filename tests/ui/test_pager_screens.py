"""The pager's screens in a real Kivy window: live updates reach the widgets, touches drive
the actions, and every screen renders in all five languages with every label fitting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots" / "pager"

if not os.environ.get("DISPLAY"):
    pytest.skip("no DISPLAY: run under xvfb-run for the pager UI tests", allow_module_level=True)


@pytest.fixture(scope="module")
def window():  # type: ignore[no-untyped-def]
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from staff_app.app import WINDOW_SIZE, configure_window

    configure_window(*WINDOW_SIZE)
    from kivy.core.window import Window

    Window.size = WINDOW_SIZE
    return Window


def tap(widget) -> None:  # type: ignore[no-untyped-def]
    from kivy.tests.common import UnitTestTouch

    from shared.ui.screenshot import settle

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    settle(2)


def find(root, tid: str):  # type: ignore[no-untyped-def]
    from staff_app.views import PagerButton

    screen = root.ids.sm.current_screen
    for widget in [*screen.walk(), *root.walk()]:
        if isinstance(widget, PagerButton) and widget.tid == tid:
            return widget
    raise AssertionError(f"no button {tid!r} on {screen.name}")


def test_alert_takes_over_and_touches_acknowledge_and_resolve(window) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.label import Label

    from shared.mqtt_link import LinkEvent, LinkState
    from shared.protocol import Acknowledged, Resolved
    from shared.ui.screenshot import save_png, settle
    from staff_app.domain.clock import FakeClock
    from staff_app.domain.pager import PagerCore
    from staff_app.domain.ring import RecordingAudio, RingController
    from staff_app.screenshots import SAM, _raise
    from staff_app.viewmodel import PagerViewModel
    from staff_app.views import build_root

    clock, audio, sent = FakeClock(), RecordingAudio(), []
    core = PagerCore(
        SAM,
        send=lambda m, t: sent.append(m),
        scheduler=clock,
        ring=RingController(audio, clock),
        on_duty=False,
    )
    vm = PagerViewModel(core)
    root = build_root(vm)
    window.add_widget(root)
    try:
        settle(3)
        assert root.ids.sm.current == "signin"
        tap(find(root, "start_on_duty"))
        assert vm.duty and root.ids.sm.current == "home"
        duty = find(root, "duty")
        assert duty.text == "● on duty"
        tap(duty)
        assert not core.on_duty and duty.text == "○ off duty"
        tap(duty)
        assert core.on_duty and duty.text == "● on duty"
        vm.on_link(LinkEvent(LinkState.ONLINE))
        clock.advance(60)
        alert = _raise(clock, "security", 0, counter="Counter 7")
        vm.on_message(alert)  # after the screens were built: the bindings must follow
        settle(3)
        screen = root.ids.sm.current_screen
        texts = [w.text for w in screen.walk() if isinstance(w, Label)]
        assert screen.name == "alert" and "SECURITY NEEDED" in texts
        # "Counter 7" with a no-break space: a name never breaks across two lines
        assert any("Counter\u00a07" in t for t in texts) and audio.played == ["security"]
        ack = find(root, "acknowledge")
        assert ack.height >= 96 and ack.text == "ACKNOWLEDGE — ON MY WAY"
        for tid in ("eta2", "on_scene", "resolve", "back", "duty"):
            assert find(root, tid).height >= 48, tid
        tap(find(root, "eta5"))
        tap(ack)
        assert isinstance(sent[-1], Acknowledged) and sent[-1].eta_minutes == 5
        assert not core.ringing and "You are on your way" in vm.responders_text
        save_png(root, SHOTS / "test_touch_acknowledged.png")
        tap(find(root, "resolve"))
        assert root.ids.sm.current == "resolve"
        tap(find(root, "note_left"))
        tap(find(root, "confirm_resolve"))
        assert isinstance(sent[-1], Resolved) and sent[-1].note == "Customer left"
        assert root.ids.sm.current == "home" and vm.history_count == 1
    finally:
        window.remove_widget(root)


def test_screenshots_of_every_screen_in_five_languages_fit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "staff_app", "--screenshots", str(SHOTS)],
        env={**os.environ, "SDL_AUDIODRIVER": "dummy", "KIVY_NO_CONSOLELOG": "1"},
        capture_output=True,
        text=True,
        timeout=110,
    )
    problems = [line for line in result.stderr.splitlines() if "calmdesk pager:" in line]
    assert result.returncode == 0, "\n".join(problems) or result.stderr[-2000:]
    from shared.i18n import LANGUAGES
    from staff_app.screenshots import SCENES

    for scene in SCENES:
        for lang in LANGUAGES:
            assert (SHOTS / f"{scene.name}_{lang}.png").stat().st_size > 5000
