"""The console's queries on a SQLite file filled by the real recorder: board, log, timeline,
report completion, follow-ups, the SB 553 log and its PII check, statistics, retention."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from console.queries import reports as rq
from console.queries import sb553
from console.queries.board import board
from console.queries.incident_log import LogFilters, incident_log, timeline
from console.queries.retention import Retention, purge, request_erasure, set_hold
from console.queries.statistics import percentile, statistics
from shared.db.models import AuditRow, EventRow, IncidentRow
from shared.protocol import CustomerCaution, IncidentReport
from tests.support.console import alert_story, completion, database, presence, record

T0 = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)  # a Monday


@pytest.fixture
def db(tmp_path: Path) -> sessionmaker[Session]:
    return database(f"sqlite:///{tmp_path / 'console.db'}")


def only_incident(session: Session) -> IncidentRow:
    return session.scalars(select(IncidentRow)).one()


def test_board_shows_open_alerts_with_responders_rung_and_elapsed(
    db: sessionmaker[Session],
) -> None:
    story = alert_story("a", T0, ack_after=12.0)
    record(db, *story[:3])  # raised, rung, acknowledged; not resolved
    record(db, *alert_story("b", T0)[:1])
    with db.begin() as session:
        view = board(session, ("a",), T0 + timedelta(seconds=75))
    assert len(view.alerts) == 1
    alert = view.alerts[0]
    assert alert.responders == ("Sam (security)",)
    assert alert.rung == "security_second_guard"
    assert alert.elapsed_seconds == 75
    assert alert.store == "a"


def test_board_presence_offline_since_and_roles_nobody_covers(db: sessionmaker[Session]) -> None:
    record(
        db,
        presence("a", "pager-m1", "manager", online=True, on_duty=True, at=T0, name="Alex"),
        presence("a", "pager-s1", "security", online=True, on_duty=True, at=T0, name="Sam"),
        presence("a", "pager-s1", "security", online=False, on_duty=True, at=T0 + timedelta(1)),
        presence("a", "kiosk-1", "kiosk", online=True, on_duty=False, at=T0),
    )
    with db.begin() as session:
        view = board(session, None, T0 + timedelta(days=2))
    by_device = {d.device: d for d in view.devices}
    assert by_device["pager-s1"].online is False
    assert [d.name for d in view.on_duty] == ["Alex"]
    assert view.uncovered == (("a", "security"),)


def test_log_filters_by_level_situation_outcome_and_leaves_drills_out(
    db: sessionmaker[Session],
) -> None:
    record(db, *alert_story("a", T0, report={}))
    record(db, *alert_story("a", T0 + timedelta(hours=1), level="manager", situation="angry"))
    record(db, *alert_story("a", T0 + timedelta(hours=2), drill=True))
    with db.begin() as session:
        assert len(incident_log(session, None, LogFilters())) == 2
        assert len(incident_log(session, None, LogFilters(drill="only"))) == 1
        assert [e.level for e in incident_log(session, None, LogFilters(level="manager"))] == [
            "manager"
        ]
        found = incident_log(session, None, LogFilters(outcome="security_removed"))
        assert len(found) == 1 and found[0].incident_row_id is not None
        assert incident_log(session, None, LogFilters(situation="angry"))[0].level == "manager"
        assert incident_log(session, ("b",), LogFilters()) == []
        later = LogFilters(date_from=date(2026, 11, 3))
        assert incident_log(session, None, later) == []


def test_timeline_lists_every_event_in_order_with_durations(db: sessionmaker[Session]) -> None:
    story = alert_story("a", T0, ack_after=12.0, report={})
    record(db, *reversed(story))  # arrival order does not matter
    with db.begin() as session:
        alert, steps = timeline(session, story[0].alert_id)  # type: ignore[attr-defined]
    assert alert is not None
    kinds = [s.kind for s in steps]
    assert kinds == [
        "alert_raised",
        "alert_escalated",
        "acknowledged",
        "resolved",
        "incident_report",
    ]
    assert [s.since_previous for s in steps] == [None, 8.0, 4.0, 78.0, 210.0]
    assert steps[2].label == "Acknowledged by Sam (security)"
    assert "knew where I park" in steps[-1].internal
    assert steps[-1].incident_row_id is not None


def test_completion_is_validated_against_the_registry() -> None:
    with pytest.raises(rq.ReportError, match="violence_type"):
        completion(violence_type="5")
    with pytest.raises(rq.ReportError, match="incident type"):
        completion(incident_types="kidnapping")
    with pytest.raises(rq.ReportError, match="description"):
        completion(description="")
    assert completion().circumstances == ["usual_duties", "alone"]


def test_follow_up_cannot_close_without_a_note_and_overdue_is_flagged(
    db: sessionmaker[Session],
) -> None:
    record(db, *alert_story("a", T0, report={}))
    with db.begin() as session:
        incident = only_incident(session)
        task = rq.add_task(
            session, incident, title="Fix the lighting", owner="Robin", due="2026-11-05", by="mgr-a"
        )
        with pytest.raises(rq.ReportError, match="without a note"):
            rq.close_task(session, task.id, "a", note="  ", by="mgr-a")
        with pytest.raises(rq.ReportError, match="no follow-up task"):
            rq.close_task(session, task.id, "b", note="done", by="mgr-b")
        [listed] = rq.tasks(session, ("a",), now=datetime(2026, 11, 6, tzinfo=UTC))
        assert listed.overdue
        rq.close_task(session, task.id, "a", note="New lamp fitted", by="mgr-a")
        [closed] = rq.tasks(session, ("a",), now=datetime(2026, 11, 6, tzinfo=UTC))
        assert not closed.overdue and closed.close_note == "New lamp fitted"


def test_sb553_log_has_the_manager_fields_no_internal_text_and_no_drills(
    db: sessionmaker[Session],
) -> None:
    record(db, *alert_story("a", T0, report={}))
    record(db, *alert_story("a", T0 + timedelta(hours=1), drill=True, report={}))
    record(db, *alert_story("a", T0 + timedelta(hours=2), report={"violence_type": "none"}))
    with db.begin() as session:
        incident = session.scalars(
            select(IncidentRow).where(IncidentRow.drill.is_(False)).order_by(IncidentRow.id)
        ).first()
        assert incident is not None
        rq.complete(session, incident, completion(internal_note="Staff member is upset"))
        records = sb553.log_records(session, ("a",), date(2026, 11, 1), date(2026, 11, 30))
    assert len(records) == 1  # the drill and the no-violence wrap-up are not in it
    values = records[0].values
    assert values["violence_type"].startswith("Type 2")
    assert values["circumstances"] == "Doing usual job duties; Isolated or alone"
    assert values["completed_by_name"] == "Dana Reyes"
    text = sb553.to_csv(records).decode()
    assert "knew where I park" not in text and "Staff member is upset" not in text
    assert "internal detail" not in text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Call him back on 555-123-4567", "a phone number"),
        ("wrote to angry@example.com", "an e-mail address"),
        ("Mr. Hopkins shouted", "a person's name"),
        ("Sam walked him out", "a person's name (Sam)"),
        ("Customer shouted at 14:30 about item 12", None),
    ],
)
def test_pii_check_finds_phones_emails_and_names(text: str, found: str | None) -> None:
    assert sb553.pii_in(text, {"Sam"}) == found


def test_export_check_names_the_record_to_fix(db: sessionmaker[Session]) -> None:
    record(db, *alert_story("a", T0, report={}))
    with db.begin() as session:
        incident = only_incident(session)
        rq.complete(session, incident, completion(description="Sam asked him to leave"))
        records = sb553.log_records(session, None, date(2026, 11, 1), date(2026, 11, 30))
        names = sb553.known_names(session, None)
    with pytest.raises(sb553.PiiFound) as refused:
        sb553.check_pii(records, names)
    assert f"record a-{incident.id}" in str(refused.value)
    assert f"/reports/{incident.id}" in str(refused.value)


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    record = sb553.LogRecord(1, "a", {"record": "a-1", "description": "=HYPERLINK(1)"})
    assert "'=HYPERLINK" in sb553.to_csv([record]).decode()


def test_statistics_per_week_percentiles_heat_map_and_drills(db: sessionmaker[Session]) -> None:
    for i, wait in enumerate((10.0, 20.0, 30.0, 40.0)):
        record(db, *alert_story("a", T0 + timedelta(minutes=i), ack_after=wait))
    record(db, *alert_story("a", T0 + timedelta(days=7), level="manager", ack_after=5.0))
    record(db, *alert_story("a", T0, drill=True, ack_after=7.0))
    with db.begin() as session:
        stats = statistics(session, None, T0 - timedelta(days=1))
    assert stats.weeks == [date(2026, 11, 2), date(2026, 11, 9)]
    assert stats.per_week_level == {"security": [4, 0], "manager": [0, 1]}
    assert stats.ack_p50 == [25.0, 5.0]
    assert stats.ack_p90[0] == pytest.approx(37.0)
    assert stats.heat[0][14] == 5  # Mondays at 14 h, drills left out
    assert stats.drills == 1 and stats.drill_p50 == 7.0
    assert percentile([], 50) is None


def test_erasure_is_refused_under_a_hold_and_logged_either_way(db: sessionmaker[Session]) -> None:
    record(db, *alert_story("a", T0))
    record(
        db,
        IncidentReport(
            store="a",
            device="kiosk-1",
            incident_id=uuid.uuid4(),
            counter="Counter 1",
            outcome="customer_left",
            sent_at=T0,
            caution=CustomerCaution(description="tall, red jacket", reason="threats"),
        ),
    )
    with db.begin() as session:
        row = only_incident(session)
        set_hold(session, row.id, "legal_hold", "mgr-a", T0, open_it=True)
        erased, why = request_erasure(session, row.id, "mgr-a", T0)
        assert not erased and "legal hold" in why
        set_hold(session, row.id, "legal_hold", "mgr-a", T0, open_it=False)
        erased, _ = request_erasure(session, row.id, "mgr-a", T0)
        assert erased and row.caution_description is None
        actions = list(session.scalars(select(AuditRow.action)))
    assert "erasure_refused" in actions and "erasure_honoured" in actions


def test_purge_keeps_five_years_and_drops_presence_noise_and_expired_cautions(
    db: sessionmaker[Session],
) -> None:
    old = T0 - timedelta(days=365 * 5 + 10)
    record(db, *alert_story("a", old, report={}))
    record(db, *alert_story("a", T0, report={}))
    record(
        db,
        presence(
            "a", "pager-s1", "security", online=True, on_duty=True, at=T0 - timedelta(days=40)
        ),
        presence(
            "a", "pager-s1", "security", online=False, on_duty=True, at=T0 - timedelta(days=39)
        ),
    )
    with db.begin() as session:
        result = purge(session, T0, Retention())
    assert result.incidents == 1 and result.alerts == 1 and result.presence == 1
    with db.begin() as session:
        assert session.scalar(select(func.count()).select_from(IncidentRow)) == 1
        # the device's latest status stays: the board still knows since when it is offline
        assert session.scalar(select(func.count()).where(EventRow.type == "presence")) == 1
