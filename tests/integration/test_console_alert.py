"""`calmdesk alert` borrows a kiosk's identity without taking what belongs to the kiosk's app.

Client ids are pinned to device ids, so the command shares the kiosk's persistent session:
anything queued for the kiosk while its app was away is delivered to whoever connects as it.
The command must leave those messages unacknowledged, so the app still gets them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from shared import topics
from shared.device_runtime import DeviceRuntime
from shared.protocol import Acknowledged, AlertRaised, Message, decode, encode
from tests.support.cli import calmdesk
from tests.support.store import Store, eventually, publish_and_wait


def kiosk_app(store: Store, data_dir: Path, received: list[Message]) -> DeviceRuntime:
    runtime = DeviceRuntime(
        store.device("kiosk-1"),
        data_dir,
        subscriptions=[topics.all_pager_acks(store.store_id)],
        on_message=received.append,
    )
    runtime.start()
    assert runtime.link.wait_subscribed(5)
    return runtime


def test_alert_command_leaves_the_kiosks_queued_messages_to_the_kiosk(
    store: Store, tmp_path: Path
) -> None:
    sid = store.store_id
    received: list[Message] = []
    kiosk_app(store, tmp_path / "tablet", received).stop()  # the app is away; its session stays
    pager, _, _ = store.link("pager-s1")
    _, pager_inbox, _ = store.link("pager-m1", subscriptions=(topics.all_kiosk_alerts(sid),))
    ack = Acknowledged(
        store=sid,
        device="pager-s1",
        alert_id=uuid.uuid4(),
        responder_name="Sam",
        responder_role="security",
    )
    assert publish_and_wait(pager, topics.pager_ack(sid, "pager-s1"), encode(ack)).ok

    result = calmdesk(store.settings.data_dir, "alert", "--kiosk", "kiosk-1", "--level", "security")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "delivered to the store broker" in result.stdout
    paged = decode(pager_inbox.get(where=lambda r: b"alert_raised" in r.payload).payload)
    assert isinstance(paged, AlertRaised) and paged.device == "kiosk-1"

    app = kiosk_app(store, tmp_path / "tablet", received)  # the tablet comes back
    try:
        eventually(lambda: any(m.event_id == ack.event_id for m in received))
    finally:
        app.stop()
