"""Invariant 2, nothing lost: broker down, kiosk restarted, broker killed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from broker.hub import Hub
from shared import topics
from shared.db.models import AlertRow, EventRow
from shared.outbox import Outbox
from shared.protocol import AlertRaised, decode, encode
from shared.settings import device_file
from tests.support.store import Store, eventually, publish_and_wait

ROOT = Path(__file__).resolve().parents[2]


def run_kiosk(
    store: Store, mode: str, outbox: Path, wanted: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.kiosk_process",
            mode,
            str(device_file(store.settings, "kiosk-1")),
            str(outbox),
            wanted,
            str(timeout),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_alert_raised_while_broker_down_survives_kiosk_restart_and_is_recorded_once(
    store: Store, tmp_path: Path
) -> None:
    outbox_file = tmp_path / "kiosk-1-outbox.db"
    store.broker.stop()

    first = run_kiosk(store, "raise", outbox_file, "delivered", timeout=1.5)
    assert first.returncode == 3, first.stderr  # it never got a PUBACK: the process died waiting
    assert first.stdout.startswith("queued ")
    alert_event = uuid.UUID(first.stdout.split()[1])
    pending = Outbox(outbox_file).entries()
    assert [e.event_id for e in pending] == [alert_event]

    store.broker.start()
    hub = Hub(store.device("hub"), f"sqlite:///{tmp_path / 'hub.db'}")
    hub.start()
    assert hub.link.wait_subscribed(5)
    _pager, pager_inbox, _ = store.link(
        "pager-s1", subscriptions=(topics.all_kiosk_alerts(store.store_id),)
    )

    second = run_kiosk(store, "resume", outbox_file, "delivered", timeout=10)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"delivered {alert_event}" in second.stdout

    paged = decode(pager_inbox.get().payload)
    assert paged.event_id == alert_event
    eventually(lambda: _count(hub, EventRow, event_id=alert_event) == 1)
    assert _count(hub, AlertRow) == 1
    assert Outbox(outbox_file).entries() == []
    hub.stop()


def test_queued_alert_for_offline_pager_survives_a_killed_broker(store: Store) -> None:
    """Mosquitto PUBACKs before it writes its snapshot; with autosave_on_changes the write
    follows within milliseconds (docs/ARCHITECTURE.md), and the kill comes after it."""
    sid = store.store_id
    snapshot = store.broker.files.persistence / "mosquitto.db"
    pager, _, _ = store.link("pager-s1", subscriptions=(topics.all_kiosk_alerts(sid),))
    pager.stop()  # offline, but its persistent session keeps its subscription
    kiosk, _, _ = store.link("kiosk-1")
    alert = AlertRaised(store=sid, device="kiosk-1", level="security", counter="Counter 1")
    assert publish_and_wait(kiosk, topics.kiosk_alert(sid, "kiosk-1"), encode(alert)).ok
    eventually(lambda: str(alert.event_id).encode() in snapshot.read_bytes())

    store.broker.kill()  # SIGKILL: only what Mosquitto had saved survives
    store.broker.start()

    _again, inbox, events = store.link("pager-s1", subscriptions=(topics.all_kiosk_alerts(sid),))
    assert any(e.session_present for e in events)
    assert decode(inbox.get().payload).event_id == alert.event_id


def _count(hub: Hub, model: type, **where: object) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)
