"""Invariants 2, 3, 5 and 6 against a real Mosquitto: paging, recording once, rejection."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broker.hub import Hub
from shared import topics
from shared.courier import Courier
from shared.db.models import AlertRow, EventRow, ResponderRow
from shared.outbox import Outbox
from shared.protocol import (
    MAX_PAYLOAD_BYTES,
    Acknowledged,
    AlertContext,
    AlertRaised,
    decode,
    encode,
)
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.store import Store, eventually, publish_and_wait


def start_hub(store: Store, database_url: str) -> Hub:
    hub = Hub(store.device("hub"), database_url)
    hub.start()
    assert hub.link.wait_subscribed(5)
    return hub


def count(hub: Hub, model: type, **where: object) -> int:
    with hub.sessions() as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int(session.scalar(query) or 0)


def alert_from(store: Store, kiosk: str = "kiosk-1", **fields: object) -> AlertRaised:
    return AlertRaised(
        store=store.store_id,
        device=kiosk,
        level="security",
        counter="Counter 1",
        context=AlertContext(situation="angry", step_index=2, step_count=6, risk="medium"),
        **fields,
    )


def test_alert_reaches_pager_is_recorded_once_and_ack_reaches_kiosk(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    hub = start_hub(store, database_url)
    sid = store.store_id
    _pager_link, pager_inbox, _ = store.link(
        "pager-s1", subscriptions=(topics.all_kiosk_alerts(sid),)
    )
    kiosk_link, kiosk_inbox, _ = store.link("kiosk-1", subscriptions=(topics.all_pager_acks(sid),))
    statuses: list[str] = []
    courier = Courier(
        kiosk_link, Outbox(tmp_path / "kiosk.db"), lambda _e, s, _d: statuses.append(s)
    )

    alert = alert_from(store)
    courier.send(alert, topics.kiosk_alert(sid, "kiosk-1"))

    paged = decode(pager_inbox.get().payload)
    assert isinstance(paged, AlertRaised) and paged.alert_id == alert.alert_id
    assert paged.context.situation == "angry"
    eventually(lambda: count(hub, AlertRow, alert_id=alert.alert_id) == 1)
    assert count(hub, EventRow, event_id=alert.event_id) == 1
    eventually(lambda: statuses == ["queued", "delivered"])
    assert courier.outbox.count() == 0

    pager = store.device("pager-s1")
    ack = Acknowledged(
        store=sid,
        device="pager-s1",
        alert_id=alert.alert_id,
        responder_name=pager.display_name,
        responder_role="security",
        eta_minutes=1,
    )
    pager_link = _pager_link
    assert publish_and_wait(pager_link, topics.pager_ack(sid, "pager-s1"), encode(ack)).ok

    heard = decode(kiosk_inbox.get().payload)
    assert isinstance(heard, Acknowledged) and heard.responder_name == "Sam"

    def acknowledged() -> AlertRow | None:
        with hub.sessions() as session:
            row = session.get(AlertRow, alert.alert_id)
            return row if row is not None and row.status == "acknowledged" else None

    row = eventually(acknowledged)
    assert row.acknowledged_by == "Sam" and row.acknowledged_device == "pager-s1"
    assert count(hub, ResponderRow, alert_id=alert.alert_id) == 1
    hub.stop()


def test_same_message_delivered_twice_is_recorded_once(store: Store, database_url: str) -> None:
    hub = start_hub(store, database_url)
    kiosk_link, _, _ = store.link("kiosk-1")
    alert = alert_from(store)
    payload = encode(alert)
    topic = topics.kiosk_alert(store.store_id, "kiosk-1")
    assert publish_and_wait(kiosk_link, topic, payload).ok
    assert publish_and_wait(kiosk_link, topic, payload).ok

    eventually(lambda: hub.stats.duplicates == 1)
    assert count(hub, EventRow, event_id=alert.event_id) == 1
    assert count(hub, AlertRow, alert_id=alert.alert_id) == 1
    hub.stop()


def test_malformed_oversized_and_spoofed_payloads_are_logged_never_recorded(
    store: Store, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = start_hub(store, database_url)
    kiosk_link, _, _ = store.link("kiosk-1")
    topic = topics.kiosk_alert(store.store_id, "kiosk-1")
    valid = encode(alert_from(store))
    bad_payloads = {
        "not json": b"\xff\x00 not json",
        "missing fields": b'{"type": "alert_raised", "store": "demo"}',
        "wrong type": valid.replace(b'"level":"security"', b'"level":"everyone"'),
        "oversized": b'{"type":"alert_raised","counter":"'
        + b"x" * (MAX_PAYLOAD_BYTES + 10)
        + b'"}',
        "spoofed device": encode(alert_from(store, kiosk="kiosk-2")),
        "wrong channel": encode(
            Acknowledged(
                store=store.store_id,
                device="kiosk-1",
                alert_id=alert_from(store).alert_id,
                responder_name="me",
                responder_role="manager",
            )
        ),
    }
    with caplog.at_level(logging.WARNING, logger="broker.hub"):
        for payload in bad_payloads.values():
            assert publish_and_wait(kiosk_link, topic, payload).ok
        good = alert_from(store)
        assert publish_and_wait(kiosk_link, topic, encode(good)).ok
        eventually(lambda: count(hub, AlertRow, alert_id=good.alert_id) == 1)

    assert hub.stats.rejected == len(bad_payloads)
    assert count(hub, EventRow, device="kiosk-1") == 1
    rejections = [r.getMessage() for r in caplog.records if "rejected message" in r.getMessage()]
    assert len(rejections) == len(bad_payloads)
    assert any("exceeds" in text for text in rejections)
    assert any("claims demo/kiosk-2" in text for text in rejections)
    assert any("does not belong" in text for text in rejections)
    hub.stop()


@pytest.mark.postgres
def test_database_outage_loses_nothing_and_recording_resumes(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The hub starts with its database down, keeps serving, and records everything later."""
    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL server could not be started here: {error}")
    server.stop_server()
    hub = Hub(store.device("hub"), server.url)
    try:
        with caplog.at_level(logging.ERROR, logger="broker.hub"):
            hub.start()
            # a fresh session: whatever is published before the SUBSCRIBE lands never arrives
            assert hub.link.wait_subscribed(5)
            kiosk_link, _, _ = store.link("kiosk-1")
            alert = alert_from(store)
            topic = topics.kiosk_alert(store.store_id, "kiosk-1")
            assert publish_and_wait(kiosk_link, topic, encode(alert)).ok
            eventually(lambda: "database not reachable" in caplog.text)
        assert hub.link.connected and not hub.schema_ready.is_set()

        server.start_server()
        eventually(lambda: hub.schema_ready.is_set(), timeout=15)
        eventually(lambda: count(hub, AlertRow, alert_id=alert.alert_id) == 1, timeout=10)
    finally:
        hub.stop()
        server.stop()
