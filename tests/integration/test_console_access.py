"""Who may read what in the console, over HTTP against the real app and database (SQLite, and
PostgreSQL through the ``database_url`` fixture): roles, store scoping, disabled accounts,
CSRF, lockout, and the audit trail of views and exports."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.accounts import MAX_FAILURES, set_disabled
from shared.db.models import AuditRow, IncidentRow
from shared.protocol import CustomerCaution, IncidentReport, utc_now
from tests.support.console import (
    alert_story,
    app_client,
    csrf_of,
    database,
    record,
    sign_in,
    users,
)


@contextmanager
def built_world(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Stores a and b, each with an alert, a wrap-up and a caution note; one account per role."""
    sessions = database(database_url)
    users(sessions)
    now = utc_now() - timedelta(hours=1)
    story_a = alert_story("a", now, report={})
    story_b = alert_story("b", now, report={})
    record(sessions, *story_a, *story_b)
    import uuid

    record(
        sessions,
        IncidentReport(
            store="a",
            device="kiosk-1",
            incident_id=uuid.uuid4(),
            counter="Counter 1",
            outcome="customer_left",
            violence_type="threat",
            caution=CustomerCaution(description="red jacket, tall", reason="threats"),
        ),
    )
    with sessions.begin() as session:
        ids = {r.store + str(bool(r.alert_id)): r.id for r in session.scalars(select(IncidentRow))}
    client = app_client(database_url, tmp_path)
    try:
        yield {
            "client": client,
            "sessions": sessions,
            "alert_a": story_a[0].alert_id,  # type: ignore[attr-defined]
            "alert_b": story_b[0].alert_id,  # type: ignore[attr-defined]
            "report_a": ids["aTrue"],
            "report_b": ids["bTrue"],
            "caution_a": ids["aFalse"],
        }
    finally:
        client.close()


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The access rules do not depend on the database; SQLite keeps these tests quick."""
    with built_world(f"sqlite:///{tmp_path / 'console.db'}", tmp_path) as built:
        yield built


def test_auditor_reads_the_sb553_log_but_never_cautions_timelines_or_internal_text(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    assert sign_in(client, "audit").headers["location"] == "/sb553"
    log = client.get("/sb553")
    assert log.status_code == 200 and "a-" in log.text
    for path in (
        "/cautions",
        f"/alerts/{world['alert_a']}",
        f"/reports/{world['report_a']}",
        "/incidents",
        "/board",
        "/statistics",
        "/users",
        "/audit",
    ):
        assert client.get(path).status_code == 403, path
    assert "knew where I park" not in log.text and "red jacket" not in log.text
    assert "Caution notes" not in log.text  # not even offered in the menu


def test_store_manager_of_a_cannot_read_store_b(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    sign_in(client, "mgr-a")
    assert client.get(f"/reports/{world['report_b']}").status_code == 404
    assert client.get(f"/alerts/{world['alert_b']}").status_code == 404
    assert client.get("/incidents?store=b").status_code == 403
    assert client.get("/sb553/export.csv?store=b").status_code == 403
    log = client.get("/incidents").text
    assert str(world["alert_a"]) in log and str(world["alert_b"]) not in log
    export = client.get("/sb553/export.csv").text
    assert "a-" in export and "b-" not in export
    token = csrf_of(client.get("/board").text)
    answer = client.post(
        f"/cautions/{world['report_b']}", data={"csrf_token": token, "action": "approve"}
    )
    assert answer.status_code == 404


def test_safety_officer_reads_every_store_but_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    sign_in(client, "safety")
    log = client.get("/incidents").text
    assert str(world["alert_a"]) in log and str(world["alert_b"]) in log
    assert client.get(f"/reports/{world['report_b']}").status_code == 200
    token = csrf_of(client.get("/board").text)
    posted = client.post(f"/reports/{world['report_b']}", data={"csrf_token": token})
    assert posted.status_code == 403


def test_a_disabled_user_is_signed_out_on_the_next_request(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    sign_in(client, "mgr-a")
    assert client.get("/board").status_code == 200
    with world["sessions"].begin() as session:
        set_disabled(session, "mgr-a")
    answer = client.get("/board", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    live = client.get("/board/live", headers={"X-Calmdesk-Live": "1"})
    assert live.status_code == 401


def test_every_form_needs_its_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    login = client.get("/login")
    assert client.post("/login", data={"username": "mgr-a", "password": "x"}).status_code == 403
    del login
    sign_in(client, "mgr-a")
    for path, data in (
        ("/logout", {}),
        ("/users", {"action": "add", "username": "kim", "display_name": "Kim", "role": "auditor"}),
        (f"/reports/{world['report_a']}/tasks", {"title": "x", "owner": "y", "due": "2026-12-31"}),
        (f"/cautions/{world['caution_a']}", {"action": "approve"}),
        (f"/reports/{world['report_a']}", {"description": "x"}),
    ):
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    token = csrf_of(client.get("/board").text)
    done = client.post(
        f"/cautions/{world['caution_a']}", data={"csrf_token": token, "action": "approve"}
    )
    assert done.status_code == 200 and "approved" in done.text


def test_lockout_after_repeated_failures(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    for _ in range(MAX_FAILURES):
        assert sign_in(client, "mgr-b", "wrong password").status_code == 401
    locked = sign_in(client, "mgr-b")
    assert locked.status_code == 401 and "locked" in locked.text


def test_the_audit_trail_records_views_and_exports(database_url: str, tmp_path: Path) -> None:
    with built_world(database_url, tmp_path) as world:
        audit_trail_checks(world)


def audit_trail_checks(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    sign_in(client, "mgr-a")
    client.get("/cautions")
    client.get(f"/alerts/{world['alert_a']}")
    assert client.get("/sb553/export.csv").status_code == 200
    assert client.get("/sb553/export.pdf").content.startswith(b"%PDF")
    with world["sessions"].begin() as session:
        trail = [
            (a.username, a.action, a.target, a.detail) for a in session.scalars(select(AuditRow))
        ]
    assert ("mgr-a", "view", "caution notes", f"notes shown: {world['caution_a']}") in trail
    assert any(t[1] == "view" and t[2].startswith("timeline") for t in trail)
    assert [t[2].split()[1] for t in trail if t[1] == "export"] == ["csv", "pdf"]
    page = client.get("/audit").text
    assert "caution notes" in page and "export" in page


def test_export_refuses_free_text_with_pii_and_names_the_record(world) -> None:  # type: ignore[no-untyped-def]
    client = world["client"]
    sign_in(client, "mgr-a")
    report = world["report_a"]
    token = csrf_of(client.get(f"/reports/{report}").text)
    form = {
        "csrf_token": token,
        "in_log": "yes",
        "violence_type": "2",
        "perpetrator": "customer",
        "place": "workplace",
        "area": "Counter 1",
        "incident_types": "threat_physical",
        "description": "Threatened staff; reach him at 555 201 4477",
        "completed_by_name": "Dana",
        "completed_by_title": "Store manager",
        "completed_on": "2026-11-30",
    }
    assert client.post(f"/reports/{report}", data=form, follow_redirects=False).status_code == 303
    refused = client.get("/sb553/export.csv")
    assert refused.status_code == 409
    assert f"record a-{report}" in refused.text and "phone number" in refused.text
