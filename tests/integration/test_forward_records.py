"""A store manager's completion of an incident's SB 553 record and the follow-up tasks reach the
chain's central PostgreSQL (store database: SQLite and PostgreSQL): keyed by the incident's
event id (the store's integer ids mean nothing at head office), updated in place when edited,
never written twice by a re-sent batch, and without the manager's internal note."""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from broker.central_records import REVIEWS, TASKS, ingest_records, read_records
from broker.forwarder import Forwarder, read_lag, read_mark
from console.queries import reports as rq
from console.queries.sb553 import log_records
from shared.db.central_models import StoreSyncRow
from shared.db.models import EventRow, FollowUpRow, IncidentReviewRow, IncidentRow
from shared.protocol import utc_now
from tests.support.central import new_central
from tests.support.console import alert_story, app_client, database, record, sign_in, users
from tests.support.console import completion as completed_form
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

STORE = "s1"
SECRET = "Internal: Dana suspects the night-shift lead mishandled it"
AT = utc_now() - timedelta(hours=2)


@pytest.fixture
def central(postgres_server: PostgresServer) -> str:
    return new_central(postgres_server)


def completion(**overrides: object) -> rq.Completion:
    """The manager's completion, with an internal note that must never leave the store."""
    fields: dict[str, object] = {
        "investigation": "Camera footage reviewed with the team.",
        "corrective_measures": "Second person at the refund desk after 18:00.",
        "internal_note": SECRET,
        "completed_on": AT.date().isoformat(),
    }
    return completed_form(**{**fields, **overrides})


def a_completed_incident(local: sessionmaker[Session]) -> tuple[int, int]:
    """An incident recorded at the store, completed by its manager with one follow-up task:
    (local incident row id, local task id)."""
    record(local, *alert_story(STORE, AT, report={}))
    with local.begin() as session:
        incident = session.scalars(select(IncidentRow)).one()
        rq.complete(session, incident, completion())
        task = rq.add_task(
            session,
            incident,
            title="Install a panic button at the refund desk",
            owner="Facilities",
            due=(AT + timedelta(days=14)).date().isoformat(),
            by="mgr-s1",
        )
        return incident.id, task.id


def other_stores_incident_first(central: str, tmp_path: Path) -> None:
    """Another store forwards an incident first, so central ids differ from the store's."""
    other = database(f"sqlite:///{tmp_path / 'other.db'}")
    record(other, *alert_story("s0", AT, report={}))
    drain(Forwarder("s0", other, central))


def drain(forwarder: Forwarder) -> int:
    total = 0
    while count := forwarder.forward_once():
        total += count
    return total


def central_copy(hq: sessionmaker[Session]) -> tuple[IncidentRow, IncidentReviewRow, FollowUpRow]:
    with hq() as there:
        incident = there.scalars(select(IncidentRow).where(IncidentRow.store == STORE)).one()
        review = there.scalars(
            select(IncidentReviewRow).where(IncidentReviewRow.store == STORE)
        ).one()
        task = there.scalars(select(FollowUpRow).where(FollowUpRow.store == STORE)).one()
        there.expunge_all()
        return incident, review, task


def store_task_id(hq: sessionmaker[Session], central_task_id: int) -> int:
    with hq() as there:
        return int(
            there.scalar(
                text("SELECT store_task_id FROM follow_up_tasks WHERE id = :id"),
                {"id": central_task_id},
            )
        )


def nowhere_in_central(hq: sessionmaker[Session], needle: str) -> bool:
    """No text column of any row of the forwarded tables holds ``needle``."""
    with hq() as there:
        for table in ("incident_reviews", "follow_up_tasks", "incidents", "events"):
            rows = there.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
            if any(needle in str(value) for row in rows for value in row):
                return False
    return True


def test_a_completion_and_a_follow_up_reach_central_on_the_incident_by_its_event_id(
    database_url: str, central: str, tmp_path: Path
) -> None:
    other_stores_incident_first(central, tmp_path)
    local = database(database_url)
    local_incident_id, local_task_id = a_completed_incident(local)
    assert read_lag(local, STORE).records_pending == 2

    drain(Forwarder(STORE, local, central))

    hq = database(central)
    incident, review, task = central_copy(hq)
    with local() as here:
        mine = here.scalars(select(IncidentReviewRow)).one()
        local_event_id = here.get(IncidentRow, local_incident_id).event_id  # type: ignore[union-attr]
    assert incident.event_id == local_event_id
    assert incident.id != local_incident_id, "the test must tell central ids from the store's"
    assert review.incident_row_id == incident.id and task.incident_row_id == incident.id
    for name in REVIEWS.fields:
        assert getattr(review, name) == getattr(mine, name), name
    assert review.investigation == "Camera footage reviewed with the team."
    assert review.internal_note == ""
    assert mine.internal_note == SECRET
    assert task.title == "Install a panic button at the refund desk" and task.closed_at is None
    assert store_task_id(hq, task.id) == local_task_id
    assert nowhere_in_central(hq, "night-shift lead")
    assert read_lag(local, STORE).records_pending == 0
    with hq() as there:
        assert [t.title for t in rq.tasks(there, (STORE,))] == [task.title]


def test_an_edit_after_forwarding_updates_central_in_place(
    database_url: str, central: str
) -> None:
    local = database(database_url)
    _, local_task_id = a_completed_incident(local)
    forwarder = Forwarder(STORE, local, central)
    drain(forwarder)
    hq = database(central)
    _, first_review, first_task = central_copy(hq)

    with local.begin() as session:
        incident = session.scalars(select(IncidentRow)).one()
        rq.complete(session, incident, completion(corrective_measures="Panic button fitted."))
    with local.begin() as session:
        rq.close_task(session, local_task_id, STORE, note="Fitted on Tuesday", by="mgr-s1")
    assert read_lag(local, STORE).records_pending == 2
    assert drain(forwarder) == 2

    _, review, task = central_copy(hq)
    assert (review.id, task.id) == (first_review.id, first_task.id), "updated, not added"
    assert review.corrective_measures == "Panic button fitted."
    assert review.revision > first_review.revision
    assert task.closed_at is not None and task.close_note == "Fitted on Tuesday"
    with hq() as there:
        for model in (IncidentReviewRow, FollowUpRow):
            assert there.scalar(select(func.count()).select_from(model)) == 1


def test_a_batch_resent_after_an_unheard_commit_writes_nothing_twice_and_rolls_nothing_back(
    database_url: str, central: str
) -> None:
    """The hub died after the central COMMIT and before moving its watermarks."""
    local = database(database_url)
    _, local_task_id = a_completed_incident(local)
    forwarder = Forwarder(STORE, local, central)
    forwarder.forward_events()
    hq = database(central)
    with local() as here:
        reviews = read_records(here, REVIEWS, STORE, 0, 100)
        tasks = read_records(here, TASKS, STORE, 0, 100)
    assert ingest_records(hq, STORE, reviews) == 1  # committed; the marks never moved
    assert ingest_records(hq, STORE, tasks) == 1
    with hq() as there:
        synced_first = there.get(StoreSyncRow, STORE).synced_at  # type: ignore[union-attr]
    time.sleep(0.02)

    assert drain(forwarder) == 2  # the same changes again
    with hq() as there:
        for model in (IncidentReviewRow, FollowUpRow):
            assert there.scalar(select(func.count()).select_from(model)) == 1
        sync = there.get(StoreSyncRow, STORE)
        assert sync is not None and sync.synced_at > synced_first, "an all-skipped re-send"
    with local() as here:
        assert read_mark(here, REVIEWS.target).last_event_id == reviews[-1].revision
        assert read_mark(here, TASKS.target).last_event_id == tasks[-1].revision

    with local.begin() as session:  # a later edit arrives; then the stale batch comes again
        rq.close_task(session, local_task_id, STORE, note="Done", by="mgr-s1")
    drain(forwarder)
    assert ingest_records(hq, STORE, tasks) == 1
    _, _, task = central_copy(hq)
    assert task.close_note == "Done", "a stale re-send rolled a newer change back"


def test_a_change_waits_in_the_store_until_its_incident_is_at_head_office(
    database_url: str, central: str
) -> None:
    local = database(database_url)
    a_completed_incident(local)
    forwarder = Forwarder(STORE, local, central)
    assert forwarder.forward_records(REVIEWS) == 0  # its incident's events have not gone yet
    with local() as here:
        assert read_mark(here, REVIEWS.target).last_event_id == 0
    assert read_lag(local, STORE).records_pending == 2
    drain(forwarder)
    assert read_lag(local, STORE).records_pending == 0
    central_copy(database(central))


def test_every_review_column_is_either_forwarded_a_key_or_kept_in_the_store() -> None:
    """A column added later must be classified here before it can leave the store."""
    columns = set(IncidentReviewRow.__table__.c.keys())
    keys = {"id", "incident_row_id", "store", "revision"}
    assert columns == set(REVIEWS.fields) | keys | {"internal_note"}
    assert "internal_note" not in REVIEWS.fields and "internal_note" in REVIEWS.blanked
    assert set(FollowUpRow.__table__.c.keys()) == set(TASKS.fields) | keys


def test_head_offices_sb553_export_and_task_list_show_what_the_store_completed(
    central: str, tmp_path: Path
) -> None:
    local = database(f"sqlite:///{tmp_path / 'store.db'}")
    a_completed_incident(local)
    forwarder = Forwarder(STORE, local, central)
    forwarder.forward_events()
    hq = database(central)
    with hq() as there:
        (before,) = log_records(there, (STORE,), AT.date(), AT.date())
    assert before.values["status"] == "awaiting the manager's completion"  # events only so far
    drain(forwarder)

    users(hq)
    client = app_client(central, tmp_path / "hq")
    try:
        assert client.app.state.hq is True
        sign_in(client, "safety")
        tasks_page = client.get(f"/tasks?store={STORE}")
        assert tasks_page.status_code == 200, tasks_page.text
        assert "Install a panic button at the refund desk" in tasks_page.text
        day = AT.date().isoformat()
        exported = client.get(f"/sb553/export.csv?store={STORE}&from={day}&to={day}")
        assert exported.status_code == 200, exported.text
        page = client.get(f"/sb553?store={STORE}&from={day}&to={day}").text
        assert "not forwarded" not in page and "internal notes stay in the store" in page
    finally:
        client.close()
    (row,) = list(csv.DictReader(io.StringIO(exported.text)))
    assert row["Record status"] == "complete"
    assert row["Investigation"] == "Camera footage reviewed with the team."
    assert row["Corrective measures"] == "Second person at the refund desk after 18:00."
    assert row["Completed by (name)"] == "Dana Reyes"
    assert row["Completed by (job title)"] == "Store manager"
    assert "night-shift" not in exported.text


def test_a_change_whose_incident_can_never_reach_head_office_holds_nothing_back(
    database_url: str, central: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An incident kept in the store whose wrap-up event was purged before forwarding ever ran
    (a hold on an old record): its completion cannot be placed, the later ones still go."""
    local = database(database_url)
    record(local, *alert_story(STORE, AT - timedelta(days=1), report={}))
    record(local, *alert_story(STORE, AT, report={}))
    with local.begin() as session:
        orphan, later = session.scalars(select(IncidentRow).order_by(IncidentRow.id)).all()
        rq.complete(session, orphan, completion(area="Back office"))
        rq.complete(session, later, completion(area="Counter 1"))
        session.execute(delete(EventRow).where(EventRow.event_id == orphan.event_id))
    forwarder = Forwarder(STORE, local, central)
    with caplog.at_level(logging.WARNING, logger="broker.forwarder"):
        drain(forwarder)
    with database(central)() as there:
        assert there.scalars(select(IncidentReviewRow.area)).all() == ["Counter 1"]
    assert forwarder.unplaceable == 1
    assert "head office has no incident" in caplog.text
    assert read_lag(local, STORE).records_pending == 0


def test_rows_written_before_the_revision_column_are_forwarded_after_the_upgrade(
    database_url: str, central: str
) -> None:
    """A store that completes records today and upgrades to migration 0006 later: its existing
    completions and tasks are numbered by the migration and reach head office."""
    from alembic import command

    from shared.db.engine import alembic_config

    local = database(database_url)
    a_completed_incident(local)
    command.downgrade(alembic_config(database_url), "0005")  # as written before 0006
    command.upgrade(alembic_config(database_url), "head")
    with local() as here:
        assert here.scalar(select(func.min(IncidentReviewRow.revision))) == 1
        assert here.scalar(select(func.min(FollowUpRow.revision))) == 1
    drain(Forwarder(STORE, local, central))
    central_copy(database(central))
    with local.begin() as session:  # and the counter goes on above what the migration numbered
        rq.close_task(session, 1, STORE, note="Done", by="mgr-s1")
        session.flush()
        assert session.get(FollowUpRow, 1).revision == 2  # type: ignore[union-attr]


def test_a_change_committed_late_on_postgresql_is_not_skipped(
    postgres_database: str, central: str
) -> None:
    """Writer A takes its revision first and commits last; writer B waits for A, so the
    forwarder can never see B's (higher) revision while A's (lower) one is still invisible."""
    local = database(postgres_database)
    record(local, *alert_story(STORE, AT, report={}))
    forwarder = Forwarder(STORE, local, central)
    drain(forwarder)
    slow = local()
    slow.begin()
    incident = slow.scalars(select(IncidentRow)).one()
    rq.complete(slow, incident, completion())  # flushed: revision taken, not committed

    def quick_writer() -> None:
        with local.begin() as session:
            mine = session.get(IncidentRow, incident.id)
            rq.add_task(session, mine, title="Call back", owner="Dana", due="2027-01-05", by="m")  # type: ignore[arg-type]

    writer = threading.Thread(target=quick_writer)
    writer.start()
    writer.join(1.0)
    try:
        assert writer.is_alive(), "the second writer took a number while the first held it"
        assert drain(forwarder) == 0
    finally:
        slow.commit()
        slow.close()
        writer.join(10)
    assert drain(forwarder) == 2
    with local() as here:
        review = here.scalars(select(IncidentReviewRow)).one()
        task = here.scalars(select(FollowUpRow)).one()
        assert task.revision > review.revision
    central_copy(database(central))
