"""Kiosk escalation controller: raise, undo window, upgrade, cancel, timers (fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.escalation import EscalationController, KioskIdentity
from kiosk.domain.panel import build_panel
from shared.alerts import PresenceBook, default_policy
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    Message,
    ProtocolError,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
CONTEXT = AlertContext(situation="angry", step_index=2, step_count=7, risk="medium")


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message, topic: str, *, needs_receipt: bool = False) -> None:
        if self.fail:
            raise ProtocolError("disk full")
        assert topic == "calmdesk/v1/s1/kiosk/kiosk-1/alert"
        self.sent.append(message)


def controller(sender: Recorder | None = None, drill: bool = False) -> EscalationController:
    identity = KioskIdentity("s1", "kiosk-1", "Counter 1", "112", drill=drill)
    return EscalationController(identity, sender or Recorder(), default_policy(), PresenceBook())


def test_security_tap_sends_one_raise_with_context_counter_and_no_undo() -> None:
    sender = Recorder()
    ctl = controller(sender)
    assert ctl.request("security", T0, CONTEXT) == "raised"
    (raised,) = sender.sent
    assert isinstance(raised, AlertRaised) and raised.level == "security"
    assert raised.counter == "Counter 1" and raised.context.situation == "angry"
    assert ctl.undo_left(T0) == 0 and not ctl.undo(T0)


def test_manager_tap_can_be_undone_within_five_seconds_as_a_false_alarm() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("manager", T0, CONTEXT)
    assert ctl.undo_left(T0 + timedelta(seconds=2)) == pytest.approx(3)
    assert ctl.undo(T0 + timedelta(seconds=4.9))
    cancel = sender.sent[-1]
    assert isinstance(cancel, AlertCancelled) and cancel.reason == "false_alarm"
    assert ctl.view is not None and ctl.view.status == "cancelled"


def test_manager_undo_window_closes_after_five_seconds() -> None:
    ctl = controller()
    ctl.request("manager", T0, CONTEXT)
    assert not ctl.undo(T0 + timedelta(seconds=5.1))
    assert ctl.active


def test_raising_manager_to_security_keeps_the_alert_id_and_ends_the_undo() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("manager", T0, CONTEXT)
    assert ctl.request("security", T0 + timedelta(seconds=1), CONTEXT) == "upgraded"
    first, second = sender.sent
    assert first.alert_id == second.alert_id and second.level == "security"
    assert ctl.undo_left(T0 + timedelta(seconds=2)) == 0
    assert ctl.view is not None and ctl.view.level == "security"


def test_second_tap_on_same_or_lower_level_sends_nothing() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("security", T0, CONTEXT)
    assert ctl.request("security", T0, CONTEXT) == "already"
    assert ctl.request("manager", T0, CONTEXT) == "already"
    assert len(sender.sent) == 1


def test_silent_then_loud_security_is_the_same_alert() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("security", T0, CONTEXT, silent=True)
    assert ctl.request("security", T0, CONTEXT) == "upgraded"
    assert sender.sent[0].silent and not sender.sent[1].silent
    assert sender.sent[0].alert_id == sender.sent[1].alert_id


def test_drill_marks_every_message() -> None:
    sender = Recorder()
    ctl = controller(sender, drill=True)
    ctl.request("security", T0, CONTEXT)
    ctl.tick(T0 + timedelta(seconds=61))
    assert sender.sent and all(message.drill for message in sender.sent)


def test_timers_publish_every_rung_locally_and_end_in_call_for_help_without_network() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("security", T0, CONTEXT)
    assert ctl.tick(T0 + timedelta(seconds=10)) == []
    assert ctl.tick(T0 + timedelta(seconds=21)) == ["security_second_guard"]
    assert ctl.tick(T0 + timedelta(seconds=65)) == [
        "security_add_manager",
        "security_call_for_help",
    ]
    assert all(isinstance(m, AlertEscalated) for m in sender.sent[1:])
    assert ctl.view is not None and ctl.view.needs_call_for_help
    assert ctl.tick(T0 + timedelta(seconds=90)) == []  # each rung once


def test_acknowledgement_stops_the_ladder_and_names_the_responder() -> None:
    ctl = controller()
    ctl.request("security", T0, CONTEXT)
    view = ctl.view
    assert view is not None
    ack = Acknowledged(
        store="s1",
        device="pager-s1",
        alert_id=view.alert_id,
        responder_name="Sam",
        responder_role="security",
        sent_at=T0 + timedelta(seconds=9),
    )
    assert ctl.on_message(ack)
    assert ctl.tick(T0 + timedelta(seconds=120)) == []
    assert ctl.view.first_responder.name == "Sam"  # type: ignore[union-attr]


def test_messages_for_other_alerts_are_ignored() -> None:
    ctl = controller()
    ctl.request("security", T0, CONTEXT)
    other = Acknowledged(
        store="s1",
        device="pager-s1",
        alert_id=AlertRaised(store="s1", device="kiosk-2", level="manager", counter="x").alert_id,
        responder_name="Sam",
        responder_role="security",
    )
    assert not ctl.on_message(other)


def test_storage_failure_is_reported_not_hidden() -> None:
    ctl = controller(Recorder(fail=True))
    assert ctl.request("security", T0, CONTEXT) == "error"
    assert ctl.raise_delivery() == "failed" and ctl.send_error == "disk full"
    view = ctl.view
    assert view is not None
    panel = build_panel(
        view, ctl.raise_delivery(), now=T0, link_online=True, emergency_number="112"
    )
    assert panel.alarm and panel.lines[0].key == "alert.not_delivered"


def test_delivery_status_never_steps_back_from_recorded() -> None:
    sender = Recorder()
    ctl = controller(sender)
    ctl.request("security", T0, CONTEXT)
    event = sender.sent[0].event_id
    assert ctl.on_delivery(event, "delivered")
    assert ctl.on_delivery(event, "recorded")
    assert not ctl.on_delivery(event, "delivered")
    assert ctl.raise_delivery() == "recorded"
    assert not ctl.on_delivery(
        AlertRaised(store="s1", device="k", level="manager", counter="").event_id, "delivered"
    )


class FrameRunner:
    """Stands in for Kivy's Clock: what a tap leaves for after its frame waits here."""

    def __init__(self) -> None:
        self.waiting: list[object] = []

    def __call__(self, fn) -> None:  # type: ignore[no-untyped-def]
        self.waiting.append(fn)

    def draw_frame(self) -> None:
        waiting, self.waiting = self.waiting, []
        for fn in waiting:
            fn()  # type: ignore[operator]


def test_a_tap_is_shown_as_sending_before_its_disk_write_and_stored_after_the_frame() -> None:
    sender, frames = Recorder(), FrameRunner()
    identity = KioskIdentity("s1", "kiosk-1", "Counter 1", "112")
    ctl = EscalationController(
        identity, sender, default_policy(), PresenceBook(), after_frame=frames
    )
    assert ctl.request("manager", T0, CONTEXT) == "raised"
    assert sender.sent == [] and ctl.raise_delivery() == "queued"  # shown, not yet stored
    assert ctl.view is not None and ctl.view.level == "manager"
    ctl.request("security", T0 + timedelta(seconds=0.01), CONTEXT)  # a second tap, same frame
    assert ctl.undo(T0 + timedelta(seconds=0.01)) is False  # an upgrade ends the undo
    frames.draw_frame()
    assert [(type(m).__name__, getattr(m, "level", "")) for m in sender.sent] == [
        ("AlertRaised", "manager"),
        ("AlertRaised", "security"),
    ]
    ctl.store_pending()  # nothing left: harmless
    assert len(sender.sent) == 2


def test_a_disk_failure_after_the_frame_turns_the_raise_to_failed() -> None:
    frames = FrameRunner()
    identity = KioskIdentity("s1", "kiosk-1", "Counter 1", "112")
    ctl = EscalationController(
        identity, Recorder(fail=True), default_policy(), PresenceBook(), after_frame=frames
    )
    ctl.request("security", T0, CONTEXT)
    assert ctl.raise_delivery() == "queued"
    frames.draw_frame()
    assert ctl.raise_delivery() == "failed" and ctl.send_error == "disk full"
