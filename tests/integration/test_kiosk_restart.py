"""Never silent across a kiosk crash: a kiosk restarted mid-alert comes back on the same panel.

The kiosk is wired as ``kiosk.app.build_kiosk`` wires it (runtime, outbox, alert journal,
view-model), without a window: the UI thread is played by this test through a queue. A crash
is ``runtime.link.abort()`` (no DISCONNECT, so the broker keeps the persistent session and
sends the Will) followed by a fresh runtime and view-model on the same data directory.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.settings import KioskSettings
from kiosk.wiring import wire_kiosk
from shared import topics
from shared.protocol import Acknowledged, AlertEscalated, AlertRaised, OnScene, decode, encode
from tests.support.store import Store, eventually, publish_and_wait


class KioskProcess:
    """One run of the kiosk app on ``data_dir`` (runtime + view-model, no window)."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.vm, self.runtime = wire_kiosk(
            store.device("kiosk-1"), data_dir, KioskSettings(), dispatch=self.calls.put
        )

    def start(self) -> KioskProcess:
        self.runtime.start()
        return self

    def pump_until(self, check: Callable[[], object], timeout: float = 15.0) -> None:
        """Run the UI thread (callbacks and the half-second tick) until ``check()`` holds."""
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"not reached in {timeout} s: {self.texts()}"
            try:
                self.calls.get(timeout=0.02)()
            except queue.Empty:
                pass
            self.vm.tick()

    def pump_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self.pump_until(lambda: time.monotonic() >= deadline, timeout=seconds + 5)

    def texts(self) -> list[str]:
        return [line["text"] for line in self.vm.panel_lines]

    def crash(self) -> None:
        """The process dies: no clean DISCONNECT, nothing more runs on its UI thread."""
        self.runtime.link.abort()
        self.runtime.courier.close()
        self.runtime.outbox.close()

    def stop(self) -> None:
        self.runtime.stop()


def sams_pager(store: Store):  # type: ignore[no-untyped-def]
    link, inbox, _ = store.link(
        "pager-s1", subscriptions=(topics.all_kiosk_alerts(store.store_id),)
    )
    return link, inbox


def responder(kind: type, alert_id: object, store: Store) -> bytes:
    return encode(
        kind(
            store=store.store_id,
            device="pager-s1",
            alert_id=alert_id,
            responder_name="Sam",
            responder_role="security",
        )
    )


def test_restarted_kiosk_shows_who_acknowledged_and_what_happened_while_down(
    store: Store, tmp_path: Path
) -> None:
    data_dir = tmp_path / "kiosk-data"
    pager, pager_inbox = sams_pager(store)
    ack_topic = topics.pager_ack(store.store_id, "pager-s1")
    first = KioskProcess(store, data_dir).start()
    first.pump_until(lambda: first.vm.online)
    first.vm.choose("threatening")
    first.vm.next_step()
    first.vm.tap_escalate("security")
    raised = decode(pager_inbox.get(where=lambda r: b"alert_raised" in r.payload).payload)
    assert isinstance(raised, AlertRaised) and raised.level == "security"
    assert publish_and_wait(pager, ack_topic, responder(Acknowledged, raised.alert_id, store)).ok
    first.pump_until(lambda: any("Sam (security) is on the way" in t for t in first.texts()))
    before = first.texts()

    first.crash()
    # while the kiosk is down, Sam arrives: the kiosk's persistent session keeps it
    assert publish_and_wait(pager, ack_topic, responder(OnScene, raised.alert_id, store)).ok

    second = KioskProcess(store, data_dir)
    vm = second.vm
    # restored from the journal alone, before any network: the same panel as before the crash
    assert vm.escalation.alert_id == raised.alert_id
    assert vm.screen == "alert" and vm.alert_loud and vm.alert_level == "security"
    assert second.texts() == before
    assert second.texts()[0] == "Sent to the store system"
    view = vm.escalation.view
    assert view is not None and view.current_responders[0].name == "Sam"
    assert view.awaiting_since == raised.sent_at  # the ladder counts from the original raise
    assert vm.flow.situation == "threatening" and vm.flow.step_index == 1

    second.start()
    try:
        second.pump_until(lambda: vm.escalation.view.status == "on_scene")  # type: ignore[union-attr]
        assert second.texts()[1].startswith("Sam (security) is on the way")
        assert {"state": "done", "mark": "✓", "text": "On scene"} in vm.panel_lines
        # answered: the restored kiosk's ladder stays quiet
        second.pump_for(1.0)
        rungs = [
            decode(r.payload)
            for r in pager_inbox.drain(0.5)
            if isinstance(decode(r.payload), AlertEscalated)
        ]
        assert rungs == []
    finally:
        second.stop()


def test_restarted_kiosk_says_not_delivered_until_the_broker_is_back(
    store: Store, tmp_path: Path
) -> None:
    data_dir = tmp_path / "kiosk-data"
    _pager, pager_inbox = sams_pager(store)  # a persistent session waiting for alerts
    first = KioskProcess(store, data_dir).start()
    first.pump_until(lambda: first.vm.online)
    store.broker.stop()
    first.pump_until(lambda: not first.vm.online)
    first.vm.tap_escalate("security")
    alert_id = first.vm.escalation.alert_id
    first.pump_until(lambda: first.vm.panel_alarm)
    assert "NOT DELIVERED" in first.texts()[0]
    first.crash()

    second = KioskProcess(store, data_dir).start()
    vm = second.vm
    try:
        assert vm.escalation.alert_id == alert_id and vm.screen == "alert"
        assert vm.escalation.raise_delivery() == "queued"
        assert vm.panel_alarm and "NOT DELIVERED" in second.texts()[0]
        assert "112" in second.texts()[0]
        second.pump_for(1.0)
        assert "NOT DELIVERED" in second.texts()[0]  # still honest while the broker is down

        store.broker.start()
        second.pump_until(lambda: vm.escalation.raise_delivery() == "delivered", timeout=20)
        second.pump_until(lambda: second.texts()[0] == "Sent to the store system")
        assert not any("NOT DELIVERED" in t for t in second.texts())
        paged = decode(
            pager_inbox.get(timeout=10, where=lambda r: b"alert_raised" in r.payload).payload
        )
        assert isinstance(paged, AlertRaised) and paged.alert_id == alert_id
    finally:
        second.stop()


def test_ack_received_but_never_shown_is_delivered_again_after_a_crash(
    store: Store, tmp_path: Path
) -> None:
    """Sam's "on my way" reached the kiosk process, but it died before its UI thread showed it.
    The broker was never told the message was handled, so the restarted kiosk gets it again."""
    data_dir = tmp_path / "kiosk-data"
    pager, pager_inbox = sams_pager(store)
    first = KioskProcess(store, data_dir).start()
    first.pump_until(lambda: first.vm.online)
    first.vm.tap_escalate("security")
    raised = decode(pager_inbox.get(where=lambda r: b"alert_raised" in r.payload).payload)
    first.pump_until(lambda: first.vm.escalation.raise_delivery() == "delivered")

    ack = responder(Acknowledged, raised.alert_id, store)
    assert publish_and_wait(pager, topics.pager_ack(store.store_id, "pager-s1"), ack).ok

    def ack_waits_for_the_ui_thread() -> bool:
        queued = list(first.calls.queue)
        return any(isinstance(getattr(call, "args", (None,))[0], Acknowledged) for call in queued)

    eventually(ack_waits_for_the_ui_thread)
    first.crash()
    assert not any("on the way" in t for t in first.texts())

    second = KioskProcess(store, data_dir).start()
    try:
        second.pump_until(lambda: any("Sam (security) is on the way" in t for t in second.texts()))
    finally:
        second.stop()
