"""Issue 6: the ladder keeps climbing with the hub process killed, driven by the kiosk's own
view-model and timers, and every rung is recorded in order once the hub is back."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from kiosk.settings import KioskSettings
from kiosk.wiring import wire_kiosk
from shared import topics
from shared.protocol import AlertEscalated, Presence, decode
from tests.integration.test_escalation import FAST_LADDERS, announce_on_duty
from tests.support.store import Store, eventually

ROOT = Path(__file__).resolve().parents[2]


def start_hub(store: Store) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "hub",
            "--no-broker",
            "--data-dir",
            str(store.settings.data_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def hub_online(store: Store) -> Callable[[], bool]:
    _, inbox, _ = store.link(
        "console", subscriptions=(topics.status(store.store_id, "hub", "hub"),)
    )

    def check() -> bool:
        return any(
            isinstance(m := decode(r.payload), Presence) and m.online for r in inbox.drain(0.05)
        )

    return check


def recorded_steps(database: Path, alert_id: object) -> list[str]:
    if not database.exists():
        return []
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT type, json_extract(payload, '$.step_id') FROM events "
                    "WHERE alert_id = :a ORDER BY sent_at"
                ),
                {"a": str(alert_id).replace("-", "")},
            ).all()
    except Exception:  # the hub has not created its schema yet
        return []
    finally:
        engine.dispose()
    return [step or kind for kind, step in rows]


def test_ladder_climbs_with_the_hub_killed_and_is_recorded_in_order_after(store: Store) -> None:
    data_dir = store.settings.data_dir
    (data_dir / "policies").mkdir()
    (data_dir / f"policies/{store.store_id}.toml").write_text(FAST_LADDERS)
    database = data_dir / "calmdesk.db"
    announce_on_duty(store, "pager-m1", "pager-s1")
    online = hub_online(store)
    hub = start_hub(store)
    eventually(online, timeout=20)

    sid = store.store_id
    _, security_inbox, _ = store.link(
        "pager-s2",  # pager-s1's connection is busy being on duty
        subscriptions=(topics.all_kiosk_alerts(sid), topics.all_hub_escalations(sid)),
    )
    # the kiosk, wired as kiosk.app wires it, with the UI thread played by this test
    calls: queue.Queue[Callable[[], None]] = queue.Queue()
    vm, runtime = wire_kiosk(store.device("kiosk-1"), data_dir, KioskSettings(), dispatch=calls.put)
    runtime.start()

    def pump(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                calls.get(timeout=0.02)()
            except queue.Empty:
                pass
            vm.tick()

    pump(0.5)
    vm.choose("angry")
    vm.tap_escalate("manager")
    alert_id = vm.escalation.alert_id
    deadline = time.monotonic() + 10
    while recorded_steps(database, alert_id)[:1] != ["alert_raised"]:
        assert time.monotonic() < deadline, "the hub never recorded the alert"
        pump(0.05)

    hub.send_signal(signal.SIGKILL)
    hub.wait(10)

    def widened_to_security(received: object) -> bool:
        message = decode(received.payload)  # type: ignore[attr-defined]
        return isinstance(message, AlertEscalated) and "security" in message.notify_roles

    deadline = time.monotonic() + 10
    while vm.escalation.view is None or not vm.escalation.view.needs_call_for_help:
        assert time.monotonic() < deadline, "the kiosk never reached call-for-help"
        pump(0.05)
    rung = decode(security_inbox.get(timeout=5, where=widened_to_security).payload)
    assert rung.alert_id == alert_id
    rungs = [rung, *(decode(r.payload) for r in security_inbox.drain(0.3))]
    # the hub is dead: the kiosk itself published rungs (the hub may have managed one first)
    assert any(isinstance(m, AlertEscalated) and m.device == "kiosk-1" for m in rungs)

    hub = start_hub(store)
    try:
        eventually(lambda: len(recorded_steps(database, alert_id)) >= 4, timeout=20)
        assert recorded_steps(database, alert_id) == [
            "alert_raised",
            "manager_next_manager",
            "manager_all_staff",
            "manager_call_for_help",
        ]
    finally:
        hub.terminate()
        hub.wait(10)
        runtime.stop()
