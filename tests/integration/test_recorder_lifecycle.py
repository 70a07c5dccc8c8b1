"""One life cycle (invariant 8): whatever order, batches, duplicates and restarts the hub sees,
the alert and responder rows equal the screens' reducer's view of the alert, on SQLite and on a
real PostgreSQL. Replaces the hand-kept rule sync of the first recorder."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broker.recorder import Incoming, Recorder
from shared.alerts.state import fold
from shared.db import mapping
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import AlertRow, EventRow, ResponderRow
from shared.protocol import Acknowledged, AlertCancelled, AlertRaised
from tests.support.alert_histories import STORE, T0, Delivery, alert_history, deliveries

histories = alert_history().flatmap(lambda history: deliveries(history))


def alert_columns(session: Session, alert_id: uuid.UUID) -> dict[str, Any] | None:
    row = session.get(AlertRow, alert_id)
    if row is None:
        return None
    return {column: getattr(row, column) for column in AlertRow.__table__.columns.keys()}


def responder_columns(session: Session, alert_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ResponderRow).where(ResponderRow.alert_id == alert_id).order_by(ResponderRow.id)
    )
    columns = [c for c in ResponderRow.__table__.columns.keys() if c != "id"]
    return [{column: getattr(row, column) for column in columns} for row in rows]


def deliver(url: str, delivery: Delivery) -> sessionmaker[Session]:
    """Record the batches as the hub would, rebuilding the recorder where a restart falls."""
    engine = make_engine(url)
    recorder = Recorder(session_factory(engine))
    for index, batch in enumerate(delivery.batches):
        incoming = [Incoming.of(message) for message in batch]
        outcome = recorder.record_batch(incoming)
        assert outcome.dead == [], outcome.dead
        if index in delivery.replayed:  # died after the commit, before the acknowledgements
            again = recorder.record_batch(incoming)
            assert again.new == [] and again.dead == []
        if index in delivery.restarts:
            engine.dispose()
            engine = make_engine(url)
            recorder = Recorder(session_factory(engine))
    return session_factory(engine)


@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=histories)
def test_alert_rows_equal_the_reducers_view_whatever_the_delivery(
    database_url: str, delivery: Delivery
) -> None:
    migrate(database_url)  # idempotent: each example brings its own alert id
    sessions = deliver(database_url, delivery)
    raised = delivery.messages[0]
    view = fold(delivery.messages)
    assert view is not None
    with sessions() as session:
        assert alert_columns(session, raised.alert_id) == mapping.alert_values(view)
        assert responder_columns(session, raised.alert_id) == mapping.responder_values(view)
        recorded = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.alert_id == raised.alert_id)
        )
        assert recorded == len(delivery.messages)
    sessions.kw["bind"].dispose()


def test_a_cancel_from_another_kiosk_leaves_the_alert_raised_as_on_every_screen(
    database_url: str,
) -> None:
    """The disagreement that started issue 10: the old recorder closed the alert."""
    migrate(database_url)
    recorder = Recorder(session_factory(make_engine(database_url)))
    raised = AlertRaised(store=STORE, device="kiosk-1", level="security", counter="C1", sent_at=T0)
    foreign = AlertCancelled(
        store=STORE, device="kiosk-2", alert_id=raised.alert_id, reason="false_alarm"
    )
    recorder.record_batch([Incoming.of(raised), Incoming.of(foreign)])
    with recorder._sessions() as session:
        row = session.get(AlertRow, raised.alert_id)
        assert row is not None
        assert (row.status, row.closed_by) == ("raised", None)


def test_an_answer_before_its_alert_is_folded_in_when_the_alert_arrives(
    database_url: str,
) -> None:
    migrate(database_url)
    recorder = Recorder(session_factory(make_engine(database_url)))
    raised = AlertRaised(store=STORE, device="kiosk-1", level="security", counter="C1", sent_at=T0)
    ack = Acknowledged(
        store=STORE,
        device="pager-s1",
        alert_id=raised.alert_id,
        responder_name="Sam",
        responder_role="security",
        eta_minutes=2,
    )
    first = recorder.record_batch([Incoming.of(ack)])
    assert [m.event_id for m in first.new] == [ack.event_id] and first.alerts == {}
    recorder.record_batch([Incoming.of(raised)])
    with recorder._sessions() as session:
        row = session.get(AlertRow, raised.alert_id)
        assert row is not None and row.status == "acknowledged"
        assert (row.acknowledged_by, row.acknowledged_device) == ("Sam", "pager-s1")
        assert [r["eta_minutes"] for r in responder_columns(session, raised.alert_id)] == [2]
