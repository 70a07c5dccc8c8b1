"""Customer caution notes: nobody sees one until a manager approves it; rejected ones are erased.

Runs the real recorder and the `calmdesk caution` command on a SQLite file (no broker).
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from broker.cautions import CautionError, approved_cautions, decide_caution, pending_cautions
from broker.provision import provision_demo
from broker.recorder import Recorder
from shared.db.engine import make_engine, migrate, session_factory
from shared.db.models import IncidentRow
from shared.protocol import CustomerCaution, IncidentReport
from shared.settings import HubSettings
from tests.support.cli import calmdesk


def report(description: str | None, *, drill: bool = False) -> IncidentReport:
    caution = (
        CustomerCaution(description=description, reason="threatened staff") if description else None
    )
    return IncidentReport(
        store="demo",
        device="kiosk-1",
        incident_id=uuid.uuid4(),
        counter="Counter 1",
        outcome="customer_left",
        violence_type="threat",
        perpetrator="stranger",
        caution=caution,
        drill=drill,
    )


def database(url: str) -> sessionmaker[Session]:
    migrate(url)
    return session_factory(make_engine(url))


def number_of(sessions: sessionmaker[Session], description: str) -> int:
    with sessions() as session:
        row = session.query(IncidentRow).filter_by(caution_description=description).one()
        return row.id


def test_a_caution_is_hidden_until_approved_and_erased_when_rejected(tmp_path: Path) -> None:
    sessions = database(f"sqlite:///{tmp_path / 'hub.db'}")
    recorder = Recorder(sessions)
    for message in (
        report("tall man, red jacket"),
        report("woman with a grey dog"),
        report(None),
        report("drill person", drill=True),
    ):
        recorder.record(message)
    with sessions.begin() as session:
        waiting = pending_cautions(session, "demo")
        assert [c.description for c in waiting] == ["tall man, red jacket", "woman with a grey dog"]
        assert approved_cautions(session, "demo") == []  # nobody sees an undecided note

    red, grey = (
        number_of(sessions, "tall man, red jacket"),
        number_of(sessions, "woman with a grey dog"),
    )
    with sessions.begin() as session:
        decide_caution(session, "demo", red, approve=True, manager="Alex")
        decide_caution(session, "demo", grey, approve=False, manager="Robin")
    with sessions.begin() as session:
        [shown] = approved_cautions(session, "demo")
        assert shown.description == "tall man, red jacket" and shown.decided_by == "Alex"
        assert pending_cautions(session, "demo") == []
        assert session.get(IncidentRow, red).perpetrator == "stranger"  # type: ignore[union-attr]
        rejected = session.get(IncidentRow, grey)
        assert rejected is not None and rejected.caution_description is None
        assert rejected.caution_reason is None and rejected.caution_decided_by == "Robin"
        with pytest.raises(CautionError, match="already approved by Alex"):
            decide_caution(session, "demo", red, approve=False, manager="Robin")
        with pytest.raises(CautionError, match="already rejected by Robin"):
            decide_caution(session, "demo", grey, approve=True, manager="Alex")
        with pytest.raises(CautionError, match="no caution note number 999"):
            decide_caution(session, "demo", 999, approve=True, manager="Alex")
    blue = _undecided(sessions, recorder)
    with sessions.begin() as session, pytest.raises(CautionError, match="--by"):
        decide_caution(session, "demo", blue, approve=True, manager=" ")


def _undecided(sessions: sessionmaker[Session], recorder: Recorder) -> int:
    recorder.record(report("man with a blue cap"))
    return number_of(sessions, "man with a blue cap")


def test_caution_command_lists_approves_and_shows(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path / "var")
    provision_demo(settings, port=1883)
    Recorder(database(settings.resolved_database_url())).record(report("tall man, red jacket"))

    def caution(*args: str) -> subprocess.CompletedProcess[str]:
        return calmdesk(settings.data_dir, "caution", *args)

    listed = caution("list")
    assert listed.returncode == 0, listed.stderr
    assert "#1" in listed.stdout and "tall man, red jacket" in listed.stdout
    assert "none" in caution("approved").stdout
    refused = caution("approve", "1")
    assert refused.returncode == 2 and "--by" in refused.stderr
    approved = caution("approve", "1", "--by", "Alex")
    assert approved.returncode == 0 and "approved" in approved.stdout
    shown = caution("approved")
    assert "tall man, red jacket" in shown.stdout and "approved by Alex" in shown.stdout
    again = caution("reject", "1", "--by", "Robin")
    assert again.returncode == 2 and "already approved by Alex" in again.stderr
