"""Acceptance 1 (and the figure for acceptance 5): both real apps, one real broker, one Hub.

The kiosk app runs in this process's Kivy window (so its labels can be read); the pager app
runs as its own process (``python -m staff_app``) on the same X display. The kiosk's Security
button gets a Kivy touch through the window's input dispatch (as in the kiosk's own tests: in
a window driven by hand rather than App.run, Kivy starts no mouse provider, so X clicks do
not reach it); the pager gets real X pointer clicks (xdotool) at the centres of its
Acknowledge, Resolve, a note and "Resolve now". Checks read what each person would see (the
kiosk's labels; the pager's trace of its own screen state), a picture of the X screen, and
the Hub's database.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from staff_app.session import PagerSession
from staff_app.xdrive import PagerWindow, click, tools_missing, window_of
from tests.support.store import Store

pytestmark = [pytest.mark.ui, pytest.mark.timeout(150)]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "pager"

if not os.environ.get("DISPLAY"):
    pytest.skip("no DISPLAY: run under xvfb-run for the closed-loop test", allow_module_level=True)
if tools_missing():
    pytest.skip(f"needs {', '.join(tools_missing())}", allow_module_level=True)


@pytest.fixture(scope="module")
def window():  # type: ignore[no-untyped-def]
    from kiosk.commands import LANDSCAPE, configure_kivy

    configure_kivy(size=LANDSCAPE, fullscreen=False)
    from kivy.core.window import Window

    Window.size = LANDSCAPE
    return Window


def pump(check: Callable[[], object], timeout: float = 10.0) -> object:
    """Run kiosk frames until ``check()`` is truthy."""
    from shared.ui.screenshot import settle

    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        settle(1)
        time.sleep(0.01)
    return value


def kiosk_texts(root) -> list[str]:  # type: ignore[no-untyped-def]
    from kivy.uix.label import Label

    return [w.text for w in root.manager.current_screen.walk() if isinstance(w, Label)]


def touch(widget) -> float:  # type: ignore[no-untyped-def]
    """A touch down + up at the widget's centre; returns time.monotonic() at touch down."""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    event = UnitTestTouch(x, y)
    started = time.monotonic()
    event.touch_down()
    event.touch_up()
    return started


def test_kiosk_tap_pages_pager_whose_ack_shows_on_kiosk_and_resolve_closes_everywhere(
    window, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from broker.hub import Hub
    from kiosk.app import build_kiosk
    from kiosk.settings import KioskSettings
    from shared.db.models import AlertRow
    from shared.ui.screenshot import save_png
    from shared.ui.widgets import CalmButton

    display = os.environ["DISPLAY"]
    hub = Hub(store.device("hub"), f"sqlite:///{tmp_path / 'hub.db'}")
    hub.start()
    assert hub.link.wait_subscribed(5)
    kiosk = build_kiosk(store.device("kiosk-1"), tmp_path / "kiosk-data", KioskSettings())
    window.add_widget(kiosk.root)
    kiosk.start()
    data_dir = store.settings.data_dir
    PagerSession(signed_in=True, on_duty=True, lang="en").save(data_dir, "pager-s1")
    pager = PagerWindow("pager-s1", data_dir, display, tmp_path / "pager.jsonl")
    try:
        pager.find_window()
        pager.move(860, 0)  # beside the kiosk's left part; raised whenever it is clicked
        pager.wait_for(lambda ev: any(e["event"] == "state" and e["online"] for e in ev))
        root, vm = kiosk.root, kiosk.vm
        pump(lambda: vm.online and vm.security_on_duty >= 1)  # Sam's presence reached it
        kiosk_window = pump(lambda: window_of(os.getpid(), display))

        security = next(
            w
            for w in root.bar.walk()
            if isinstance(w, CalmButton) and vm.tr("escalate.security") in w.text
        )
        tapped = touch(security)
        pump(lambda: vm.alert_active and vm.alert_level == "security", timeout=5)
        # the raise is stored and published after the frame that shows it: keep Kivy's
        # clock running (as the app does) until the broker has it
        pump(lambda: vm.alert_sent, timeout=5)

        rang = pager.wait_for(lambda ev: [e for e in ev if e["event"] == "ring"])[0]
        shown = pager.wait_for(
            lambda ev: [e for e in ev if e["event"] == "state" and e["screen"] == "alert"]
        )[0]
        assert shown["band"] == "SECURITY NEEDED" and not shown["late"]
        assert shown["responders"] == "Nobody else responding yet"
        latency_ms = (rang["t_mono"] - tapped) * 1000
        print(f"\nkiosk Security touch -> pager ring callback: {latency_ms:.0f} ms")
        assert latency_ms < 2000

        pager.tap("acknowledge", "alert")
        on_the_way = pump(
            lambda: next((t for t in kiosk_texts(root) if t.startswith("Sam (security)")), None)
        )
        assert "on the way" in str(on_the_way)
        pager.wait_for(
            lambda ev: any(
                e["event"] == "state" and "You are on your way" in e["responders"] for e in ev
            )
        )
        save_png(root, SHOTS / "closed_loop_kiosk_acknowledged.png")
        click(display, kiosk_window, 5, 5)  # raise the kiosk (a blank corner) ...
        click(display, pager.window, 1, 1)  # ... then the pager beside it, for the picture
        pump(lambda: True)
        subprocess.run(
            ["import", "-display", display, "-window", "root", str(SHOTS / "closed_loop_x.png")],
            check=True,
            timeout=20,
        )

        pager.tap("resolve", "alert")
        pager.tap("note_calmed", "resolve")
        pager.tap("confirm_resolve", "resolve")
        pump(lambda: vm.panel_closed)
        pager.wait_for(
            lambda ev: any(
                e["event"] == "state" and e["screen"] == "home" and e["history"] for e in ev
            )
        )

        def recorded() -> AlertRow | None:
            with hub.sessions() as session:
                row = session.scalars(select(AlertRow)).first()
                return row if row is not None and row.status == "resolved" else None

        row = pump(recorded)
        assert row.acknowledged_by == "Sam" and row.acknowledged_device == "pager-s1"  # type: ignore[union-attr]
        assert row.close_note == "Calmed down" and row.closed_by == "Sam"  # type: ignore[union-attr]
        assert str(row.alert_id) == shown["alert"]  # type: ignore[union-attr]
        save_png(root, SHOTS / "closed_loop_kiosk_resolved.png")
    finally:
        pager.stop()
        kiosk.stop()
        window.remove_widget(kiosk.root)
        hub.stop()
