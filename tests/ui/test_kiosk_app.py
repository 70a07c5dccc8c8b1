"""The kiosk in a real Kivy window against a real Mosquitto (and a real Hub for reports).

Touches are real touch events (UnitTestTouch through the window's input dispatch) on the
widgets' on-screen positions; assertions read the labels the staff member would read.
Run under Xvfb:
    xvfb-run -a -s "-screen 0 1280x800x24 +extension GLX" .venv/bin/python -m pytest tests/ui
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared import topics
from shared.protocol import Acknowledged, AlertRaised, decode, encode
from tests.support.store import Store, publish_and_wait

pytestmark = [
    pytest.mark.ui,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a display: run under xvfb-run (DISPLAY is not set)",
    ),
]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "kiosk"


@pytest.fixture(scope="module")
def window():  # type: ignore[no-untyped-def]
    from kiosk.commands import LANDSCAPE, configure_kivy

    configure_kivy(size=LANDSCAPE, fullscreen=False)
    from kivy.core.window import Window

    Window.size = LANDSCAPE
    return Window


@pytest.fixture
def kiosk(window, store: Store, tmp_path: Path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from kiosk.app import build_kiosk
    from kiosk.settings import KioskSettings

    built = build_kiosk(store.device("kiosk-1"), tmp_path / "kiosk-data", KioskSettings())
    window.add_widget(built.root)
    built.start()
    pump(lambda: built.vm.online)
    yield built
    built.stop()
    window.remove_widget(built.root)


def sams_pager(store: Store):  # type: ignore[no-untyped-def]
    """Sam's pager: subscribed to every kiosk alert (persistent session) and saying, retained,
    that it is online and on duty, as the pager app would."""
    from shared.protocol import Presence

    link, inbox, _ = store.link(
        "pager-s1", subscriptions=(topics.all_kiosk_alerts(store.store_id),)
    )
    presence = Presence(
        store=store.store_id,
        device="pager-s1",
        kind="pager",
        role="security",
        online=True,
        on_duty=True,
        display_name="Sam",
    )
    topic = topics.status(store.store_id, "pager", "pager-s1")
    assert publish_and_wait(link, topic, encode(presence)).ok
    link.publish(topic, encode(presence), retain=True)
    return link, inbox


def pump(check: Callable[[], object], timeout: float = 8.0) -> object:
    """Run Kivy frames until ``check()`` is truthy (network callbacks arrive via the Clock)."""
    from shared.ui.screenshot import settle

    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        settle(1)
        time.sleep(0.01)
    return value


def button(root, text: str):  # type: ignore[no-untyped-def]
    """The visible button whose text contains ``text`` on the current screen or the bars."""
    from shared.ui.widgets import CalmButton

    screen = root.manager.current_screen
    for widget in [*screen.walk(), *root.strip.walk(), *root.bar.walk()]:
        if isinstance(widget, CalmButton) and text in widget.text and widget.opacity > 0:
            return widget
    raise AssertionError(f"no button {text!r} on {screen.name}")


def tap(widget) -> float:  # type: ignore[no-untyped-def]
    """A real touch down + up at the widget's centre; returns seconds spent in the handlers."""
    from kivy.tests.common import UnitTestTouch

    from shared.ui.screenshot import settle

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    started = time.perf_counter()
    touch.touch_down()
    touch.touch_up()
    spent = time.perf_counter() - started
    settle(2)
    return spent


def screen_texts(root) -> list[str]:  # type: ignore[no-untyped-def]
    from kivy.uix.label import Label

    return [w.text for w in root.manager.current_screen.walk() if isinstance(w, Label)]


def test_security_from_mid_flow_pages_ack_shows_name_and_report_is_recorded(
    kiosk, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from broker.hub import Hub
    from shared.db.models import IncidentRow
    from shared.ui.screenshot import save_png

    sid = store.store_id
    pager_link, pager_inbox = sams_pager(store)
    pump(lambda: kiosk.vm.security_on_duty == 1)
    hub = Hub(store.device("hub"), f"sqlite:///{tmp_path / 'hub.db'}")
    hub.start()
    assert hub.link.wait_subscribed(5)
    root, vm = kiosk.root, kiosk.vm

    tap(button(root, vm.tiles[0]["title"]))  # "Angry customer"
    tap(button(root, vm.tr("nav.next")))
    tap(button(root, vm.tr("nav.next")))
    assert vm.screen == "steps" and vm.flow.step_index == 2
    spent = tap(button(root, vm.tr("escalate.security")))
    assert vm.screen == "alert" and vm.alert_level == "security"
    assert spent < 0.1, f"tap feedback took {spent * 1000:.0f} ms"

    paged = decode(pager_inbox.get(timeout=5).payload)
    assert isinstance(paged, AlertRaised) and paged.level == "security"
    assert paged.context.situation == "angry" and paged.context.step_index == 2
    assert paged.counter == "Counter 1" == store.device("kiosk-1").counter
    pump(lambda: "Sent to the store system" in screen_texts(root))

    ack = Acknowledged(
        store=sid,
        device="pager-s1",
        alert_id=paged.alert_id,
        responder_name="Sam",
        responder_role="security",
        eta_minutes=1,
    )
    assert publish_and_wait(pager_link, topics.pager_ack(sid, "pager-s1"), encode(ack)).ok
    label = pump(
        lambda: next((t for t in screen_texts(root) if t.startswith("Sam (security)")), None)
    )
    assert "on the way" in str(label)
    save_png(root, SHOTS / "acknowledged-by-sam.png")

    tap(button(root, vm.tr("kiosk.panel.resolved_button")))
    assert vm.screen == "wrapup"
    tap(button(root, vm.tr("outcome.security_removed")))
    tap(button(root, vm.tr("kiosk.violence.threat")))
    tap(button(root, vm.tr("kiosk.perpetrator.stranger")))
    tap(button(root, vm.tr("wrapup.save")))
    assert vm.screen == "selfcare", vm.wrapup_error

    def recorded() -> IncidentRow | None:
        with hub.sessions() as session:
            return session.scalars(
                select(IncidentRow).where(IncidentRow.alert_id == paged.alert_id)
            ).first()

    row = pump(recorded, timeout=10)
    assert row.outcome == "security_removed" and row.violence_type == "threat"  # type: ignore[union-attr]
    assert row.perpetrator == "stranger"  # type: ignore[union-attr]
    assert row.situation == "angry" and not row.near_miss  # type: ignore[union-attr]
    save_png(root, SHOTS / "selfcare-after-report.png")
    hub.stop()


def test_tap_with_broker_down_shows_not_delivered_then_delivers_by_itself(
    kiosk, store: Store
) -> None:  # type: ignore[no-untyped-def]
    from shared.ui.screenshot import save_png

    root, vm = kiosk.root, kiosk.vm
    _, pager_inbox = sams_pager(store)
    pump(lambda: vm.security_on_duty == 1)
    tap(button(root, vm.tiles[6]["title"]))  # "Threatening"
    store.broker.stop()
    pump(lambda: not vm.online)

    tap(button(root, vm.tr("escalate.security")))
    first = screen_texts(root)
    assert any(t.startswith("NOT DELIVERED") and "112" in t for t in first), first
    assert vm.panel_alarm
    save_png(root, SHOTS / "not-delivered.png")

    store.broker.start()
    pump(lambda: "Sent to the store system" in screen_texts(root), timeout=20)
    assert not any(t.startswith("NOT DELIVERED") for t in screen_texts(root))
    assert not vm.panel_alarm
    paged = decode(pager_inbox.get(timeout=5, where=lambda r: r.topic.endswith("/alert")).payload)
    assert isinstance(paged, AlertRaised) and paged.context.situation == "threatening"
