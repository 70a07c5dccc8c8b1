"""Issue 10: the hub's rungs and its lost-kiosk page do not wait behind a database batch.

The recorder is stalled inside a batch (as a slow fsync or a busy PostgreSQL would stall it)
with a backlog queued behind it; the hub must still page on time. Asserted by order, not by a
stopwatch: the pages are published while the batch is still stalled and before the alert that
caused them is recorded.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from broker.hub import Hub
from broker.recorder import BatchOutcome, Incoming
from shared import topics
from shared.db.models import AlertRow, EventRow
from shared.mqtt_link import PublishOutcome
from shared.protocol import AlertEscalated, AlertRaised, IncidentReport, Presence, decode, encode
from tests.integration.test_escalation import fast_policy
from tests.support.store import Store, eventually

BACKLOG = 600


def stall_recorder(hub: Hub) -> tuple[threading.Event, threading.Event]:
    """Make the hub's first batch hang until released; return (stalled, release)."""
    stalled, release = threading.Event(), threading.Event()
    record_batch = hub.recorder.record_batch

    def slow(batch: Sequence[Incoming]) -> BatchOutcome:
        stalled.set()
        release.wait(60)
        return record_batch(batch)

    hub.recorder.record_batch = slow  # type: ignore[method-assign]
    return stalled, release


def recorded(hub: Hub, model: type, **where: object) -> int:
    with hub.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


def test_rungs_and_a_lost_kiosk_page_go_out_while_a_batch_is_stalled(
    store: Store, tmp_path: Path
) -> None:
    sid = store.store_id
    hub = Hub(
        store.device("hub"),
        f"sqlite:///{tmp_path / 'hub.db'}",
        policy=fast_policy(tmp_path),
        counters={"kiosk-2": "Counter 2"},
    )
    hub.start()
    assert hub.link.wait_subscribed(5)
    _, pages, _ = store.link("pager-m1", subscriptions=(topics.all_hub_escalations(sid),))
    kiosk, _, _ = store.link("kiosk-1")
    lost_kiosk, _, _ = store.link("kiosk-2")
    stalled, release = stall_recorder(hub)
    try:
        # a backlog: wrap-up reports queued faster than a stalled recorder can take them
        outcomes: queue.Queue[PublishOutcome] = queue.Queue()
        for n in range(BACKLOG):
            report = IncidentReport(
                store=sid,
                device="kiosk-1",
                incident_id=uuid.uuid4(),
                counter="Counter 1",
                outcome="customer_left",
                notes=f"backlog {n}",
            )
            kiosk.publish(
                topics.kiosk_incident(sid, "kiosk-1"), encode(report), on_outcome=outcomes.put
            )
        assert stalled.wait(10), "the recorder never started a batch"
        alert = AlertRaised(store=sid, device="kiosk-1", level="manager", counter="Counter 1")
        kiosk.publish(topics.kiosk_alert(sid, "kiosk-1"), encode(alert), on_outcome=outcomes.put)
        will = Presence(
            store=sid, device="kiosk-2", kind="kiosk", role="kiosk", online=False, clean=False
        )
        lost_kiosk.publish(topics.status(sid, "kiosk", "kiosk-2"), encode(will), retain=True)
        assert all(outcomes.get(timeout=20).ok for _ in range(BACKLOG + 1))

        seen: list[object] = []

        def paged(received: object) -> bool:
            seen.append(decode(received.payload))  # type: ignore[attr-defined]
            rung = any(
                isinstance(m, AlertEscalated) and m.alert_id == alert.alert_id and m.call_for_help
                for m in seen
            )
            lost = [m for m in seen if isinstance(m, AlertRaised) and m.counter == "Counter 2"]
            return rung and bool(lost)

        pages.get(timeout=15, where=paged)
        assert not release.is_set() and recorded(hub, EventRow, alert_id=alert.alert_id) == 0
        [lost] = [m for m in seen if isinstance(m, AlertRaised)]
        assert recorded(hub, EventRow, alert_id=lost.alert_id) == 0
    finally:
        release.set()
    eventually(lambda: recorded(hub, EventRow, type="incident_report") == BACKLOG, timeout=30)
    eventually(lambda: recorded(hub, AlertRow, alert_id=alert.alert_id) == 1, timeout=10)
    with hub.sessions() as session:
        row = session.get(AlertRow, alert.alert_id)
        assert row is not None and row.call_for_help
    assert hub.stats.batches < BACKLOG  # the backlog was taken in batches
    hub.stop()
