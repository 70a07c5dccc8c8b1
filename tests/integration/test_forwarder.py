"""The hub's forwarder: a store's events reach a real central PostgreSQL in order, once each,
with the derived rows the store's own recorder makes; the watermark moves only after the
central commit; a re-sent batch is skipped yet still writes the store's sync row."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from broker.central_ingest import ForwardedEvent, ingest_batch
from broker.forwarder import Forwarder, read_batch, read_lag, read_mark
from broker.hub import Hub
from broker.recorder import Recorder
from shared import topics
from shared.db.central import make_central_engine, migrate_central
from shared.db.central_models import DevicePresenceRow, StoreRow, StoreSyncRow
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import AlertRow, EventRow, IncidentRow, ResponderRow
from shared.db.store_health import store_health
from shared.protocol import (
    Acknowledged,
    AlertRaised,
    CustomerCaution,
    IncidentReport,
    OnScene,
    Presence,
    Resolved,
    encode,
    utc_now,
)
from tests.support.central import new_central, new_database, wait_drained
from tests.support.postgres import PostgresServer
from tests.support.store import Store, eventually, publish_and_wait

pytestmark = pytest.mark.postgres

T0 = utc_now()


@pytest.fixture
def central(postgres_server: PostgresServer) -> str:
    return new_central(postgres_server)


def sessions_for(url: str) -> sessionmaker[Session]:
    return session_factory(make_central_engine(url))


def store_db(database_url: str) -> sessionmaker[Session]:
    migrate(database_url)
    return session_factory(make_engine(database_url))


def a_shift(store: str = "s1") -> list[object]:
    """An alert's whole life, a wrap-up with a caution, and a pager going offline."""
    raised = AlertRaised(store=store, device="kiosk-1", level="security", counter="Till 1")
    answer = {
        "store": store,
        "device": "pager-s1",
        "alert_id": raised.alert_id,
        "responder_name": "Sam",
        "responder_role": "security",
    }
    return [
        raised,
        Acknowledged(**answer, sent_at=T0 + timedelta(seconds=5)),
        OnScene(**answer, sent_at=T0 + timedelta(seconds=60)),
        Resolved(**answer, sent_at=T0 + timedelta(seconds=300), note="calmed down"),
        IncidentReport(
            store=store,
            device="kiosk-1",
            incident_id=raised.alert_id,
            alert_id=raised.alert_id,
            counter="Till 1",
            outcome="customer_left",
            notes="shouted, left",
            caution=CustomerCaution(description="tall, red jacket", reason="threatened staff"),
        ),
        Presence(store=store, device="pager-s1", kind="pager", role="security", online=False),
    ]


def record_all(local: sessionmaker[Session], messages: list[object]) -> None:
    recorder = Recorder(local)
    for message in messages:
        recorder.record(message)  # type: ignore[arg-type]


def drain(forwarder: Forwarder) -> int:
    total = 0
    while count := forwarder.forward_once():
        total += count
    return total


def test_every_event_arrives_once_in_order_with_the_same_derived_rows(
    database_url: str, central: str
) -> None:
    local = store_db(database_url)
    record_all(local, a_shift())
    forwarder = Forwarder("s1", local, central, batch=4)

    assert drain(forwarder) == 6
    hq = sessions_for(central)
    with local() as here, hq() as there:
        local_ids = here.scalars(select(EventRow.event_id).order_by(EventRow.id)).all()
        central_ids = there.scalars(select(EventRow.event_id).order_by(EventRow.id)).all()
        assert central_ids == local_ids
        mine, theirs = here.scalars(select(AlertRow)).one(), there.scalars(select(AlertRow)).one()
        for column in (
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "on_scene_at",
            "closed_at",
            "close_note",
            "store",
        ):
            assert getattr(theirs, column) == getattr(mine, column), column
        assert there.scalars(select(ResponderRow.name)).all() == ["Sam"]
        incident = there.scalars(select(IncidentRow)).one()
        assert incident.notes == "shouted, left" and incident.store == "s1"
        assert incident.caution_description is None, "a caution never leaves the store"
        payloads = there.scalars(select(EventRow.payload)).all()
        assert all(p.get("caution") is None for p in payloads)
        pager = there.get(DevicePresenceRow, ("s1", "pager-s1"))
        assert pager is not None and pager.online is False
        sync = there.get(StoreSyncRow, "s1")
        assert sync is not None and sync.events_total == 6
        assert sync.last_event_id == here.scalar(select(func.max(EventRow.id)))
        assert read_mark(here).last_event_id == sync.last_event_id
    assert read_lag(local, "s1").pending == 0


def test_a_batch_resent_after_an_unheard_commit_is_skipped_but_still_writes_the_sync_row(
    database_url: str, central: str
) -> None:
    """The hub died after the central COMMIT and before moving its mark: the re-send must add
    nothing, and must still write (so its commit waits for the synchronous standby)."""
    local = store_db(database_url)
    record_all(local, a_shift())
    hq = sessions_for(central)
    with local() as session, session.begin():
        batch = read_batch(session, "s1", 0, 100)
    first = ingest_batch(hq, "s1", batch)  # committed centrally; the mark never moved
    with hq() as there:
        synced_first = there.get(StoreSyncRow, "s1").synced_at  # type: ignore[union-attr]
    time.sleep(0.02)

    forwarder = Forwarder("s1", local, central)
    assert forwarder.forward_once() == 6
    with hq() as there:
        assert there.scalar(select(func.count()).select_from(EventRow)) == 6
        sync = there.get(StoreSyncRow, "s1")
        assert sync is not None and sync.events_total == first.inserted == 6
        assert sync.synced_at > synced_first, "an all-skipped re-send wrote nothing"
    with local() as here:
        assert read_mark(here).last_event_id == batch[-1].local_id


def test_events_wait_in_the_store_while_central_is_unreachable_then_all_arrive(
    database_url: str, postgres_server: PostgresServer
) -> None:
    local = store_db(database_url)
    missing = new_database(postgres_server)  # exists, but has no schema yet: every batch fails
    forwarder = Forwarder("s1", local, missing, backoff_cap_s=0.3)
    forwarder.start()
    try:
        record_all(local, a_shift())
        assert eventually(lambda: forwarder.failures >= 2, timeout=10)
        assert read_lag(local, "s1").pending == 6
        with local() as here:
            assert read_mark(here).last_event_id == 0, "the mark moved without a commit"
        migrate_central(missing)
        assert wait_drained(local, "s1", timeout=15)
    finally:
        forwarder.stop()
    with sessions_for(missing)() as there:
        assert there.scalar(select(func.count()).select_from(EventRow)) == 6


def test_a_store_cannot_forward_another_stores_events(central: str) -> None:
    event = ForwardedEvent.from_row(
        EventRow(
            id=1,
            event_id=a_shift("s2")[0].event_id,
            store="s2",
            device="kiosk-1",  # type: ignore[attr-defined]
            type="alert_raised",
            alert_id=None,
            sent_at=T0,
            recorded_at=T0,
            drill=False,
            payload={},
        )
    )
    with pytest.raises(ValueError, match="s2"):
        ingest_batch(sessions_for(central), "s1", [event])


def test_health_table_shows_each_store_sync_offline_devices_and_open_alerts(
    tmp_path: Path, central: str
) -> None:
    for store in ("s1", "s2"):
        local = store_db(f"sqlite:///{tmp_path / f'{store}.db'}")
        shift = a_shift(store)
        record_all(local, shift if store == "s1" else shift[:1])  # s2's alert stays open
        drain(Forwarder(store, local, central))
    hq = sessions_for(central)
    with hq.begin() as there:
        there.add_all(
            [
                StoreRow(store="s1", region="north", name="Riga"),
                StoreRow(store="s2", region="south", name="Turku"),
                StoreRow(store="s3", region="south", name="Busan"),
            ]
        )
    with hq() as there:
        rows = {row.store: row for row in store_health(there)}
        south = [row.store for row in store_health(there, region="south")]
    assert south == ["s2", "s3"]
    assert (rows["s1"].open_alerts, rows["s1"].devices_offline) == (0, 1)
    assert (rows["s2"].open_alerts, rows["s2"].devices_offline) == (1, 0)
    assert rows["s3"].never_synced and rows["s3"].open_alerts == 0
    assert rows["s1"].sync_age_s is not None and rows["s1"].sync_age_s < 60


def test_a_running_hub_forwards_what_it_records_within_seconds(
    store: Store, tmp_path: Path, central: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALMDESK_CENTRAL_URL", central)
    hub = Hub(store.device("hub"), f"sqlite:///{tmp_path / 'hub.db'}")
    hub.start()
    try:
        assert hub.forwarder is not None and hub.link.wait_subscribed(5)
        kiosk, _, _ = store.link("kiosk-1")
        raised = AlertRaised(
            store=store.store_id, device="kiosk-1", level="manager", counter="Till 2"
        )
        topic = topics.kiosk_alert(store.store_id, "kiosk-1")
        assert publish_and_wait(kiosk, topic, encode(raised)).ok
        hq = sessions_for(central)

        def arrived() -> bool:
            with hq() as there:
                return there.get(AlertRow, raised.alert_id) is not None

        assert eventually(arrived, timeout=10)
    finally:
        hub.stop()


def test_watch_reports_the_central_lag_of_a_forwarding_store(
    store: Store, central: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.console import central_lag_line

    data_dir = store.settings.data_dir
    assert central_lag_line(data_dir) is None  # a store on its own says nothing
    monkeypatch.setenv("CALMDESK_CENTRAL_URL", central)
    local = store_db(store.settings.resolved_database_url())
    record_all(local, a_shift(store.store_id))
    assert central_lag_line(data_dir).startswith("central: 6 events waiting")  # type: ignore[union-attr]
    drain(Forwarder(store.store_id, local, central))
    assert central_lag_line(data_dir).startswith("central: up to date (6 forwarded")  # type: ignore[union-attr]


def test_an_idle_forwarder_closes_its_central_connection(
    database_url: str, central: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of stores must not each keep a backend open at head office."""
    import broker.forwarder

    monkeypatch.setattr(broker.forwarder, "CLOSE_IDLE_S", 0.3)
    local = store_db(database_url)
    forwarder = Forwarder("s1", local, central)
    forwarder.start()
    try:
        record_all(local, a_shift())
        assert wait_drained(local, "s1", timeout=15)
        database = central.rsplit("/", 1)[1]

        def backends() -> int:
            with sessions_for(central.rsplit("/", 1)[0] + "/postgres")() as session:
                return int(
                    session.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": database},
                    )
                    or 0
                )

        assert eventually(lambda: backends() == 0, timeout=5)
        record_all(local, a_shift())  # and it reconnects when there is news again
        assert wait_drained(local, "s1", timeout=15)
    finally:
        forwarder.stop()
