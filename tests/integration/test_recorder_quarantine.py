"""Issue 9, case 8: a message the database refuses for its content is quarantined with its
reason and never blocks the others; only an outage blocks. Issue 10: an event id that comes
back with different content is a collision, never a silent duplicate."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from broker.hub import Hub, _Admitted
from broker.recorder import Incoming, Outage, Recorder
from shared import topics
from shared.console import describe
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import DeadLetterRow, EventRow, IncidentRow
from shared.mqtt_link import Received
from shared.protocol import (
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    MessageQuarantined,
    decode,
    encode,
)
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.store import Store, eventually, publish_and_wait


def report(store: str = "demo", notes: str = "calm again", **fields: object) -> IncidentReport:
    return IncidentReport(
        store=store,
        device="kiosk-1",
        incident_id=uuid.uuid4(),
        counter="Counter 1",
        outcome="customer_left",
        notes=notes,
        **fields,  # type: ignore[arg-type]
    )


def poison(store: str = "demo") -> IncidentReport:
    """PostgreSQL text cannot hold NUL. Built with model_construct so that a protocol-level NUL
    check (issue 9) does not stop it first: this is the recorder's last line of defence."""
    good = report(store)
    return IncidentReport.model_construct(**{**dict(good), "notes": "before\u0000after"})


def count(sessions: sessionmaker[Session], model: type, **where: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


def recorder_on(url: str) -> tuple[Recorder, sessionmaker[Session]]:
    migrate(url)
    sessions = session_factory(make_engine(url))
    return Recorder(sessions), sessions


@pytest.mark.postgres
def test_a_nul_in_an_incident_report_is_quarantined_and_its_batch_recorded(
    postgres_database: str,
) -> None:
    recorder, sessions = recorder_on(postgres_database)
    bad = poison()
    good = [report(notes=f"report {n}") for n in range(12)]
    messages = [*good[:7], bad, *good[7:]]
    incoming = [Incoming.of(message) for message in messages]

    outcome = recorder.record_batch(incoming)

    assert [m.event_id for m in outcome.new] == [m.event_id for m in good]
    [letter] = outcome.dead
    assert letter.kind == "refused" and "DataError" in letter.reason
    assert count(sessions, IncidentRow) == 12 and count(sessions, EventRow) == 12
    with sessions() as session:
        row = session.scalars(select(DeadLetterRow)).one()
    assert (row.kind, row.event_id, row.topic) == ("refused", bad.event_id, incoming[7].topic)
    assert row.payload == incoming[7].payload and b"\\u0000" in row.payload
    assert row.reason == letter.reason

    again = recorder.record_batch(incoming)  # redelivered after a crash: nothing twice
    assert again.new == [] and len(again.duplicates) == 12 and len(again.dead) == 1
    assert count(sessions, DeadLetterRow) == 1 and count(sessions, EventRow) == 12


@pytest.mark.postgres
def test_an_unreachable_database_is_an_outage_not_a_poison_message() -> None:
    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL server could not be started here: {error}")
    try:
        recorder, sessions = recorder_on(server.url)
        recorder.record_batch([Incoming.of(report())])
        server.stop_server()
        with pytest.raises(Outage):
            recorder.record_batch([Incoming.of(report()), Incoming.of(report())])
        server.start_server()
        assert count(sessions, DeadLetterRow) == 0 and count(sessions, IncidentRow) == 1
    finally:
        server.stop()


def test_an_event_id_reused_with_other_content_is_a_collision_not_a_duplicate(
    database_url: str,
) -> None:
    recorder, sessions = recorder_on(database_url)
    real = AlertRaised(store="demo", device="kiosk-1", level="security", counter="Counter 1")
    squat = AlertRaised(
        store="demo", device="kiosk-2", level="manager", counter="Counter 2", event_id=real.event_id
    )
    recorder.record_batch([Incoming.of(real)])
    outcome = recorder.record_batch([Incoming.of(real), Incoming.of(squat)])

    assert outcome.new == [] and outcome.duplicates == [real]
    [letter] = outcome.dead
    assert letter.kind == "collision" and "kiosk-2" in letter.reason
    with sessions() as session:
        stored = session.scalars(select(EventRow)).one()
        dead = session.scalars(select(DeadLetterRow)).one()
    assert stored.device == "kiosk-1" and dead.kind == "collision"
    assert dead.payload == encode(squat)


def test_two_copies_of_one_rung_are_a_duplicate_not_a_collision(database_url: str) -> None:
    recorder, _ = recorder_on(database_url)
    alert = AlertRaised(store="demo", device="kiosk-1", level="manager", counter="Counter 1")
    by_kiosk = AlertEscalated.for_step(
        alert.alert_id, "manager_all_staff", store="demo", device="kiosk-1"
    )
    by_hub = AlertEscalated.for_step(
        alert.alert_id, "manager_all_staff", store="demo", device="hub"
    )
    outcome = recorder.record_batch([Incoming.of(m) for m in (alert, by_kiosk, by_hub)])
    assert outcome.dead == [] and outcome.duplicates == [by_hub]
    assert outcome.alerts[alert.alert_id].escalation_steps_done == ("manager_all_staff",)


@pytest.mark.postgres
def test_the_hub_quarantines_a_poison_message_and_records_the_rest_of_its_batch(
    store: Store, postgres_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    sid = store.store_id
    hub = Hub(store.device("hub"), postgres_database, batch_wait_s=1.0)
    hub.start()
    try:
        assert hub.link.wait_subscribed(5)
        _console, watch, _ = store.link("console", subscriptions=(topics.all_dead_letters(sid),))
        kiosk, _, _ = store.link("kiosk-1")
        topic = topics.kiosk_incident(sid, "kiosk-1")
        bad = poison(sid)
        payload = bad.model_dump_json().encode()
        with caplog.at_level(logging.ERROR, logger="broker.hub"):
            # the poison as if admitted (a protocol NUL check would refuse it at the door),
            # then good messages in the same batch window
            received = Received(topic, payload, retained=False, mid=0, qos=0)
            now = datetime.now(UTC)
            hub._inbox.put(_Admitted(received, Incoming(bad, topic, payload, now)))
            good = [report(sid, notes=f"report {n}") for n in range(3)]
            for message in good:
                assert publish_and_wait(kiosk, topic, encode(message)).ok
            eventually(lambda: count(hub.sessions, IncidentRow) == 3, timeout=10)
            eventually(lambda: "quarantined a message" in caplog.text)
        assert hub.stats.batches >= 1 and hub.stats.quarantined == 1
        assert count(hub.sessions, DeadLetterRow, event_id=bad.event_id) == 1
        notice = decode(watch.get(timeout=5).payload)
        assert isinstance(notice, MessageQuarantined)
        assert notice.quarantined_event_id == bad.event_id and notice.kind == "refused"
        assert describe(notice).startswith("HUB COULD NOT RECORD a message on " + topic)

        later = report(sid, notes="after the poison")
        assert publish_and_wait(kiosk, topic, encode(later)).ok
        eventually(lambda: count(hub.sessions, IncidentRow, event_id=later.event_id) == 1)
    finally:
        hub.stop()
