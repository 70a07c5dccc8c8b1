"""The recorder names the same first responder as the devices' alert view, whatever the order
in which acknowledgements arrive (SQLite file, no broker)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from broker.recorder import Recorder
from shared.alerts.book import AlertBook
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import AlertRow
from shared.protocol import Acknowledged, AlertRaised, OnScene, utc_now

T0 = utc_now()


def recorder(tmp_path: Path) -> tuple[Recorder, sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    sessions = session_factory(make_engine(url))
    return Recorder(sessions), sessions


def answer(cls: type, raised: AlertRaised, device: str, name: str, after_s: float):  # type: ignore[no-untyped-def]
    return cls(
        store="s1",
        device=device,
        alert_id=raised.alert_id,
        responder_name=name,
        responder_role="security",
        sent_at=T0 + timedelta(seconds=after_s),
    )


def test_earliest_acknowledgement_is_the_first_responder_even_when_it_arrives_last(
    tmp_path: Path,
) -> None:
    rec, sessions = recorder(tmp_path)
    raised = AlertRaised(store="s1", device="kiosk-1", level="security", counter="C1", sent_at=T0)
    sam = answer(Acknowledged, raised, "pager-s1", "Sam", 3)
    kim = answer(Acknowledged, raised, "pager-s2", "Kim", 5)
    book = AlertBook()
    for message in (raised, kim, sam):  # Sam answered first; his message came in last
        rec.record(message)
        book.apply(message)
    with sessions() as session:
        row = session.get(AlertRow, raised.alert_id)
        assert row is not None and row.status == "acknowledged"
        assert (row.acknowledged_by, row.acknowledged_device) == ("Sam", "pager-s1")
        assert row.acknowledged_at == sam.sent_at
    view = book.get(raised.alert_id)
    assert view is not None and view.first_responder is not None
    assert view.first_responder.name == row.acknowledged_by


def test_a_late_acknowledgement_never_moves_an_on_scene_alert_back(tmp_path: Path) -> None:
    rec, sessions = recorder(tmp_path)
    raised = AlertRaised(store="s1", device="kiosk-1", level="security", counter="C1", sent_at=T0)
    for message in (
        raised,
        answer(OnScene, raised, "pager-s1", "Sam", 9),
        answer(Acknowledged, raised, "pager-s1", "Sam", 2),
    ):
        rec.record(message)
    with sessions() as session:
        row = session.get(AlertRow, raised.alert_id)
        assert row is not None and row.status == "on_scene"
        assert row.acknowledged_at == T0 + timedelta(seconds=2)
