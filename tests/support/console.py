"""Helpers for console tests: a migrated database with recorded events, and a signed-in client."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from broker.recorder import Recorder
from console.accounts import add_user
from console.queries import reports as rq
from shared.db.engine import make_engine, migrate, session_factory
from shared.protocol import (
    Acknowledged,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    Message,
    Presence,
    Resolved,
)

PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def database(url: str) -> sessionmaker[Session]:
    migrate(url)
    return session_factory(make_engine(url))


def record(sessions: sessionmaker[Session], *messages: Message) -> None:
    recorder = Recorder(sessions)
    for message in messages:
        recorder.record(message)


def users(sessions: sessionmaker[Session]) -> None:
    """One account per role: managers of stores a and b, a safety officer, an auditor."""
    with sessions.begin() as session:
        for username, role, store in (
            ("mgr-a", "store_manager", "a"),
            ("mgr-b", "store_manager", "b"),
            ("safety", "safety_officer", None),
            ("audit", "auditor", None),
        ):
            add_user(
                session,
                username,
                display_name=f"User {username}",
                role=role,
                store=store,
                password=PASSWORD,
            )


def alert_story(
    store: str,
    at: datetime,
    *,
    level: str = "security",
    situation: str = "threatening",
    drill: bool = False,
    ack_after: float | None = 12.0,
    report: dict[str, object] | None = None,
) -> list[Message]:
    """An alert raised at ``at``, a rung, an acknowledgement, resolution and a wrap-up."""
    raised = AlertRaised(
        store=store,
        device="kiosk-1",
        sent_at=at,
        level=level,
        counter="Counter 1",
        drill=drill,
        context=AlertContext(situation=situation, step_index=2, step_count=6),
    )
    story: list[Message] = [raised]
    story.append(
        AlertEscalated.for_step(
            raised.alert_id,
            "security_second_guard",
            store=store,
            device="hub",
            sent_at=at + timedelta(seconds=8),
            drill=drill,
            reason="No answer in 20 s",
        )
    )
    if ack_after is not None:
        story.append(
            Acknowledged(
                store=store,
                device="pager-s1",
                alert_id=raised.alert_id,
                responder_name="Sam",
                responder_role="security",
                drill=drill,
                sent_at=at + timedelta(seconds=ack_after),
            )
        )
        story.append(
            Resolved(
                store=store,
                device="pager-s1",
                alert_id=raised.alert_id,
                responder_name="Sam",
                responder_role="security",
                drill=drill,
                note="walked him out; internal detail",
                sent_at=at + timedelta(seconds=90),
            )
        )
    if report is not None:
        fields: dict[str, object] = {
            "outcome": "security_removed",
            "violence_type": "threat",
            "situation": situation,
            "notes": "He said he knew where I park (employee's own words)",
            **report,
        }
        story.append(
            IncidentReport(
                store=store,
                device="kiosk-1",
                incident_id=uuid.uuid4(),
                alert_id=raised.alert_id,
                counter="Counter 1",
                drill=drill,
                sent_at=at + timedelta(seconds=300),
                **fields,
            )  # type: ignore[arg-type]
        )
    return story


def presence(
    store: str, device: str, role: str, *, online: bool, on_duty: bool, at: datetime, name: str = ""
) -> Presence:
    kind = "kiosk" if role == "kiosk" else "pager"
    return Presence(
        store=store,
        device=device,
        kind=kind,
        role=role,
        online=online,  # type: ignore[arg-type]
        on_duty=on_duty,
        display_name=name or device,
        sent_at=at,
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def app_client(url: str, data_dir: Path):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from console.app import create_app
    from console.config import ConsoleSettings

    app = create_app(ConsoleSettings(database_url=url, data_dir=data_dir))
    return TestClient(app, base_url="https://testserver")


def completion(**overrides: object) -> rq.Completion:
    """A store manager's completion of an incident's SB 553 record, as the form sends it."""
    form = {
        "in_log": "yes",
        "violence_type": "2",
        "perpetrator": "customer",
        "place": "workplace",
        "area": "Counter 1",
        "circumstances": ["usual_duties", "alone"],
        "incident_types": "threat_physical",
        "description": "Customer shouted threats over a refund and would not leave.",
        "security_contacted": "yes",
        "completed_by_name": "Dana Reyes",
        "completed_by_title": "Store manager",
        "completed_on": "2026-11-03",
        **overrides,
    }
    return rq.Completion.from_form(form)
