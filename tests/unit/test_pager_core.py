"""Pager core: routing, takeover, late arrivals, never ringing closed alerts, actions,
history. Plain Python with a fake clock and the recording audio backend."""

from __future__ import annotations

import pytest

from shared import topics
from shared.alerts import Routing
from shared.alerts.routing import LevelRoles
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    OnScene,
    Resolved,
)
from staff_app.domain.pager import format_duration
from tests.support.pager_rig import STORE, Rig


def test_security_pager_rings_for_security_and_ignores_manager_alerts() -> None:
    rig = Rig("security")
    rig.raised("manager")
    assert rig.core.active() == [] and not rig.core.ringing
    alert = rig.raised("security")
    assert rig.core.ringing and rig.audio.played == ["security"]
    assert rig.core.takeover().alert_id == alert.alert_id


def test_manager_pager_sees_and_rings_for_security_alerts_with_the_security_tone() -> None:
    rig = Rig("manager", device="pager-m1")
    rig.raised("manager")
    assert rig.audio.played == ["manager"]
    rig.raised("security")
    assert rig.audio.played == ["manager", "security"]
    assert [a.view.level for a in rig.core.active()] == ["security", "manager"]


def test_routing_is_configurable_per_store() -> None:
    quiet_managers = Routing(
        ring=LevelRoles(manager=("manager",), security=("security",)),
        show=LevelRoles(manager=("manager",), security=("security", "manager")),
    )
    rig = Rig("manager", device="pager-m1", routing=quiet_managers)
    rig.raised("security")
    assert len(rig.core.active()) == 1 and not rig.core.ringing


def test_escalation_that_notifies_a_role_makes_it_ring() -> None:
    rig = Rig("security")
    alert = rig.raised("manager")
    assert not rig.core.ringing
    rig.core.receive(
        AlertEscalated.for_step(
            alert.alert_id, "notify_security", store=STORE, device="hub", notify_roles=["security"]
        )
    )
    assert rig.core.ringing and rig.audio.played == ["manager"]


def test_ringing_repeats_until_acknowledged_here_and_the_ack_goes_to_the_outbox() -> None:
    rig = Rig("security")
    alert = rig.raised("security")
    rig.clock.advance(6.0)
    assert rig.audio.played == ["security"] * 4
    ack = rig.core.acknowledge(alert.alert_id, eta_minutes=2)
    assert not rig.core.ringing and rig.audio.stops == 1
    rig.clock.advance(30)
    assert len(rig.audio.played) == 4
    message, topic = rig.sent[-1]
    assert message == ack and topic == topics.pager_ack(STORE, "pager-s1")
    assert (ack.responder_name, ack.responder_role, ack.eta_minutes) == ("Sam", "security", 2)
    shown = rig.core.takeover()
    assert shown.mine == "acknowledged" and not shown.can_acknowledge and shown.can_resolve


def test_ringing_stops_when_someone_else_acknowledges() -> None:
    rig = Rig("security")
    alert = rig.raised("security")
    rig.other(Acknowledged, alert)
    assert not rig.core.ringing
    assert rig.core.active()[0].view.first_responder.name == "Kim"
    assert rig.core.takeover() is None  # someone else's alert no longer takes the screen


def test_live_alert_is_not_late_and_rings_at_once() -> None:
    rig = Rig()
    rig.clock.advance(60)
    rig.raised(ago=1.0)
    assert not rig.core.active()[0].late and rig.core.ringing


def test_alert_raised_before_the_connection_is_late_and_rings_after_settling() -> None:
    rig = Rig(settle_s=1.5)
    rig.clock.advance(300)
    rig.core.link_down()
    rig.clock.advance(100)
    rig.core.link_up()
    rig.raised(ago=60)  # queued by the broker while we were away
    alert = rig.core.active()[0]
    assert alert.late and not rig.core.ringing
    rig.clock.advance(1.5)
    assert rig.core.ringing and rig.core.takeover().late


def test_old_alert_is_late_even_without_a_reconnect() -> None:
    rig = Rig(late_after_s=20)
    rig.clock.advance(600)
    rig.raised(ago=271)
    assert rig.core.active()[0].late
    assert format_duration(rig.core.active()[0].age_s(rig.clock.now())) == "04:31"


def test_alert_resolved_while_away_is_never_rung_and_lands_in_history() -> None:
    rig = Rig()
    rig.clock.advance(300)
    rig.core.link_up()
    alert = rig.raised(ago=90)
    rig.other(Resolved, alert, note="left the store")
    rig.clock.advance(10)
    assert rig.audio.played == [] and rig.core.active() == []
    [entry] = rig.core.history_today()
    assert entry.outcome == "resolved" and entry.closed_by == "Kim" and entry.late


def test_alert_cancelled_before_its_raise_arrives_is_never_rung() -> None:
    rig = Rig()
    now = rig.clock.now()
    raised = AlertRaised(store=STORE, device="kiosk-1", level="security", counter="C1", sent_at=now)
    cancel = AlertCancelled(
        store=STORE, device="kiosk-1", alert_id=raised.alert_id, reason="false_alarm", sent_at=now
    )
    rig.core.receive(cancel)
    rig.core.receive(raised)
    rig.clock.advance(10)
    assert rig.audio.played == []
    assert rig.core.history_today()[0].outcome == "false_alarm"


def test_off_duty_pager_lists_but_does_not_ring() -> None:
    rig = Rig()
    rig.core.set_on_duty(False)
    rig.raised()
    assert len(rig.core.active()) == 1 and not rig.core.ringing
    rig.core.set_on_duty(True)
    assert rig.core.ringing


def test_new_ringing_alert_takes_over_from_browsing() -> None:
    rig = Rig()
    first = rig.raised()
    rig.core.select(None)
    assert rig.core.takeover() is None
    second = rig.raised()
    assert rig.core.takeover().alert_id == first.alert_id != second.alert_id  # oldest first
    rig.core.select(second.alert_id)
    assert rig.core.takeover().alert_id == second.alert_id


def test_on_scene_and_resolve_with_note_close_the_alert_and_record_time_to_ack() -> None:
    rig = Rig()
    alert = rig.raised()
    rig.clock.advance(9)
    rig.core.acknowledge(alert.alert_id)
    rig.core.on_scene(alert.alert_id)
    assert rig.core.takeover().mine == "on_scene"
    rig.core.resolve(alert.alert_id, note="  calmed down  ")
    kinds = [type(m) for m, _ in rig.sent]
    assert kinds == [Acknowledged, OnScene, Resolved]
    assert rig.sent[-1][0].note == "calmed down"
    assert rig.core.active() == [] and rig.core.takeover() is None
    [entry] = rig.core.history_today()
    assert entry.time_to_ack_s == pytest.approx(9) and entry.first_responder == "Sam"


def test_duplicates_and_foreign_stores_change_nothing() -> None:
    rig = Rig()
    alert = rig.raised()
    before = rig.changes
    rig.core.receive(alert)
    rig.core.receive(alert.model_copy(update={"store": "s2"}))
    assert rig.changes == before and len(rig.core.active()) == 1


def test_drill_flag_is_carried_into_the_responders_messages() -> None:
    rig = Rig()
    alert = rig.raised(drill=True)
    assert rig.core.acknowledge(alert.alert_id).drill


def test_format_duration() -> None:
    assert format_duration(0) == "00:00"
    assert format_duration(3 * 3600 + 62) == "3:01:02"
