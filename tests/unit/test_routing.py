"""Which pagers show and ring for an alert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.alerts.policy import load_policy
from shared.alerts.routing import DEFAULT_ROUTING, LevelRoles, Routing, should_ring, should_show
from shared.alerts.state import AlertView, apply
from shared.protocol import Acknowledged, AlertCancelled, AlertEscalated, AlertRaised

T0 = datetime(2025, 3, 1, 14, 0, 0, tzinfo=UTC)
ALERT = uuid.UUID("00000000-0000-4000-8000-000000000003")


def alert(level: str) -> AlertView:
    view = apply(
        None,
        AlertRaised(
            alert_id=ALERT, store="s1", device="kiosk-1", level=level, counter="Till 1", sent_at=T0
        ),
    )
    assert view is not None
    return view


def escalate(view: AlertView, *roles: str) -> AlertView:
    step = AlertEscalated.for_step(
        ALERT,
        "manager_all_staff",
        store="s1",
        device="hub-1",
        notify_roles=list(roles),
        sent_at=T0 + timedelta(seconds=90),
    )
    return apply(view, step)


@pytest.mark.parametrize(
    ("level", "role", "rings"),
    [
        ("security", "security", True),
        ("security", "manager", True),
        ("manager", "manager", True),
        ("manager", "security", False),
        ("security", "kiosk", False),
        ("manager", "hub", False),
    ],
)
def test_default_routing_rings_the_right_pagers(level: str, role: str, rings: bool) -> None:
    view = alert(level)
    assert should_ring(role, view) is rings
    assert should_show(role, view) is rings


def test_a_role_added_by_an_escalation_step_rings_and_sees_the_alert() -> None:
    view = escalate(alert("manager"), "manager", "security")
    assert should_ring("security", view) and should_show("security", view)


def test_pagers_stop_ringing_once_someone_answered_but_still_show_it() -> None:
    view = apply(
        alert("security"),
        Acknowledged(
            alert_id=ALERT,
            store="s1",
            device="pager-g",
            responder_name="Sam",
            responder_role="security",
            sent_at=T0 + timedelta(seconds=8),
        ),
    )
    assert not should_ring("security", view) and not should_ring("manager", view)
    assert should_show("security", view) and should_show("manager", view)


def test_closed_alerts_never_ring() -> None:
    view = apply(
        alert("security"),
        AlertCancelled(alert_id=ALERT, store="s1", device="kiosk-1", reason="false_alarm"),
    )
    assert not should_ring("security", view)
    assert should_show("security", view)  # still in the pager's history


def test_a_store_can_keep_managers_informed_without_ringing_them(tmp_path: Path) -> None:
    override = tmp_path / "s1.toml"
    override.write_text('[routing.ring]\nsecurity = ["security"]\n', encoding="utf-8")
    routing = load_policy(override).routing
    view = alert("security")
    assert should_ring("security", view, routing)
    assert not should_ring("manager", view, routing)
    assert should_show("manager", view, routing)


def test_a_store_can_let_security_see_manager_alerts(tmp_path: Path) -> None:
    override = tmp_path / "s1.toml"
    override.write_text('[routing.show]\nmanager = ["manager", "security"]\n', encoding="utf-8")
    routing = load_policy(override).routing
    view = alert("manager")
    assert should_show("security", view, routing) and not should_ring("security", view, routing)


def test_routing_refuses_a_level_that_would_not_ring_its_own_role() -> None:
    with pytest.raises(ValidationError, match="must include 'manager'"):
        Routing(ring=LevelRoles(manager=("security",), security=("security",)))


def test_routing_refuses_ringing_a_pager_that_cannot_show_the_alert() -> None:
    with pytest.raises(ValidationError, match="they ring for it"):
        Routing(show=LevelRoles(manager=("manager",), security=("security",)))


def test_routing_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Routing.model_validate(
            {"ring": {"manager": ["manager"], "security": ["security"]}, "mute": True}
        )


def test_default_routing_matches_the_shipped_ladders_file() -> None:
    assert load_policy().routing == DEFAULT_ROUTING
