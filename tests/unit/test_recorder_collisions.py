"""A second message under a recorded event id changes nothing, and is logged unless it is the
expected copy (a redelivery, or the same rung from the kiosk and the hub)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from broker.recorder import Recorder
from shared.db.engine import make_engine, migrate, session_factory
from shared.protocol import Acknowledged, AlertEscalated, AlertRaised


def recorder(tmp_path: Path) -> Recorder:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    return Recorder(session_factory(make_engine(url)))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "broker.recorder" and r.levelno >= logging.WARNING
    ]


def test_a_different_message_under_a_recorded_id_is_logged_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec = recorder(tmp_path)
    raised = AlertRaised(store="s1", device="kiosk-1", level="security", counter="C1")
    rung = AlertEscalated.for_step(raised.alert_id, "step", store="s1", device="hub")
    for message in (raised, rung):
        assert rec.record(message).new
    with caplog.at_level(logging.WARNING, logger="broker.recorder"):
        caplog.clear()
        assert not rec.record(raised).new  # a redelivery
        assert not rec.record(rung.model_copy(update={"device": "kiosk-1"})).new  # the same rung
        assert warnings(caplog) == []
        decoy = Acknowledged(
            event_id=raised.event_id,
            store="s1",
            device="pager-m1",
            alert_id=raised.alert_id,
            responder_name="Alex",
            responder_role="manager",
        )
        result = rec.record(decoy)
    assert not result.new and result.alert is not None and result.alert.status == "raised"
    (warning,) = warnings(caplog)
    assert (
        "collision: recorded alert_raised from kiosk-1, now acknowledged from pager-m1" in warning
    )
