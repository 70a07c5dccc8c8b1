"""The alert reducer and the AlertBook: what every device shows for one alert."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.alerts import state as state_module
from shared.alerts.book import AlertBook
from shared.alerts.state import AlertView, apply, fold
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    OnScene,
    Presence,
    Resolved,
)

T0 = datetime(2025, 3, 1, 14, 0, 0, tzinfo=UTC)
STORE = "s1"
KIOSK = "kiosk-1"
ALERT = uuid.UUID("00000000-0000-4000-8000-000000000001")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def raised(t: float = 0, level: str = "manager", alert_id: uuid.UUID = ALERT, **kw) -> AlertRaised:
    fields = {"store": STORE, "device": KIOSK, "counter": "Till 3", "silent": False} | kw
    return AlertRaised(alert_id=alert_id, level=level, sent_at=at(t), **fields)


def ack(t: float = 5, device: str = "pager-a", name: str = "Alex", role: str = "manager", **kw):
    return Acknowledged(
        alert_id=kw.pop("alert_id", ALERT),
        store=kw.pop("store", STORE),
        device=device,
        responder_name=name,
        responder_role=role,
        sent_at=at(t),
        **kw,
    )


def on_scene(t: float = 30, device: str = "pager-a", name: str = "Alex", role: str = "manager"):
    return OnScene(
        alert_id=ALERT,
        store=STORE,
        device=device,
        responder_name=name,
        responder_role=role,
        sent_at=at(t),
    )


def resolved(t: float = 60, device: str = "pager-a", name: str = "Alex", role: str = "manager"):
    return Resolved(
        alert_id=ALERT,
        store=STORE,
        device=device,
        responder_name=name,
        responder_role=role,
        sent_at=at(t),
        note="customer calmed",
    )


def cancelled(t: float = 10, device: str = KIOSK, reason: str = "false_alarm") -> AlertCancelled:
    return AlertCancelled(alert_id=ALERT, store=STORE, device=device, reason=reason, sent_at=at(t))


def escalated(step: str, t: float = 20, device: str = KIOSK, **kw) -> AlertEscalated:
    return AlertEscalated.for_step(ALERT, step, store=STORE, device=device, sent_at=at(t), **kw)


def run(*messages) -> AlertView | None:
    view = None
    for message in messages:
        view = apply(view, message)
    return view


# Raising --------------------------------------------------------------------------------------


def test_raise_creates_an_open_view_with_where_and_what() -> None:
    context = AlertContext(situation="angry", step_index=3, step_count=8, risk="medium")
    view = run(raised(level="security", silent=True, drill=True, context=context))
    assert view is not None
    assert (view.alert_id, view.store, view.kiosk, view.counter) == (ALERT, STORE, KIOSK, "Till 3")
    assert (view.level, view.silent, view.drill, view.context) == ("security", True, True, context)
    assert view.status == "raised" and not view.closed
    assert view.raised_at == view.awaiting_since == T0
    assert view.first_responder is None and view.responders == ()
    assert [entry.event for entry in view.timeline] == ["alert_raised"]
    assert [(c.level, c.silent) for c in view.levels] == [("security", True)]


def test_anything_but_a_raise_cannot_create_a_view() -> None:
    assert apply(None, ack()) is None
    assert apply(None, cancelled()) is None


def test_non_alert_messages_leave_the_view_untouched() -> None:
    view = run(raised())
    presence = Presence(store=STORE, device="pager-a", kind="pager", role="manager", online=True)
    assert apply(view, presence) is view


def test_applying_a_message_for_another_alert_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="applied to"):
        apply(run(raised()), ack(alert_id=uuid.uuid4()))


def test_raising_to_a_higher_level_keeps_the_id_and_starts_a_new_request() -> None:
    view = run(raised(0, "manager"), ack(5), raised(30, "security"))
    assert view.alert_id == ALERT
    assert view.level == "security"
    assert [c.level for c in view.levels] == ["manager", "security"]
    assert view.awaiting_since == at(30) and view.raised_at == T0
    assert view.status == "raised"  # the security request is not answered yet
    assert view.first_responder.name == "Alex"  # history keeps the manager who came
    assert view.current_responders == ()
    view = apply(view, ack(40, "pager-g", "Sam", "security"))
    assert view.status == "acknowledged"
    assert [r.name for r in view.current_responders] == ["Sam"]
    assert [r.name for r in view.extra_responders] == ["Sam"]


def test_the_same_manager_acknowledging_again_after_an_upgrade_answers_the_new_request() -> None:
    view = run(raised(0, "manager"), ack(5), raised(30, "security"), ack(35))
    assert view.status == "acknowledged"
    assert view.first_responder.at == at(5) and view.current_responders[0].at == at(35)


def test_lowering_the_level_keeps_the_answer_it_already_has() -> None:
    view = run(raised(0, "security"), ack(5, role="security"), raised(30, "manager"))
    assert view.level == "manager" and view.status == "acknowledged"
    assert view.awaiting_since == T0


def test_re_raising_at_the_same_level_adds_no_history() -> None:
    view = run(raised(0), raised(10))
    assert len(view.levels) == 1 and len(view.timeline) == 1


def test_switching_to_silent_is_recorded_without_a_new_request() -> None:
    view = run(raised(0, "security"), raised(10, "security", silent=True))
    assert view.silent and [c.silent for c in view.levels] == [False, True]
    assert view.awaiting_since == T0


def test_only_the_raising_kiosk_can_re_raise_or_cancel() -> None:
    view = run(raised(0), raised(5, "security", device="kiosk-2"), cancelled(6, device="kiosk-2"))
    assert view.level == "manager" and not view.closed


def test_messages_for_another_store_are_ignored() -> None:
    view = run(raised(0), ack(5, store="s2"))
    assert view.status == "raised"


# Acknowledging --------------------------------------------------------------------------------


def test_first_acknowledgement_wins_and_later_devices_are_extra_responders() -> None:
    view = run(raised(), ack(5, "pager-a", "Alex"), ack(7, "pager-b", "Kim", eta_minutes=2))
    assert view.status == "acknowledged"
    assert view.first_responder.name == "Alex" and view.first_responder.device == "pager-a"
    assert [(r.name, r.eta_minutes) for r in view.extra_responders] == [("Kim", 2)]


def test_earliest_acknowledgement_wins_even_when_it_arrives_last() -> None:
    view = run(raised(), ack(7, "pager-b", "Kim"), ack(5, "pager-a", "Alex"))
    assert view.first_responder.name == "Alex"
    assert [r.name for r in view.extra_responders] == ["Kim"]


def test_a_redelivered_event_is_ignored() -> None:
    message = ack()
    view = run(raised(), message)
    assert apply(view, message) is view


def test_the_same_responder_acknowledging_twice_counts_once() -> None:
    view = run(raised(), ack(5), ack(8))
    assert view.responders == (view.first_responder,) and len(view.timeline) == 2


def test_nobody_acknowledges_their_own_alert() -> None:
    view = run(raised(), ack(5, device=KIOSK))
    assert view.status == "raised" and view.first_responder is None


def test_on_scene_follows_the_acknowledgement() -> None:
    view = run(raised(), ack(5), on_scene(30))
    assert view.status == "on_scene" and view.responders == (view.first_responder,)


def test_arriving_on_scene_without_an_ack_still_names_the_responder() -> None:
    view = run(raised(), on_scene(30, "pager-b", "Kim"))
    assert view.status == "on_scene" and view.first_responder.name == "Kim"


def test_the_same_responder_on_scene_twice_counts_once() -> None:
    view = run(raised(), on_scene(30), on_scene(31))
    assert len(view.timeline) == 2 and view.status == "on_scene"


def test_fold_without_a_raise_gives_no_view() -> None:
    assert fold([ack(5), cancelled(6)]) is None


def test_a_late_ack_does_not_move_the_status_back_from_on_scene() -> None:
    view = run(raised(), on_scene(30), ack(31, "pager-b", "Kim"))
    assert view.status == "on_scene"


# Closing --------------------------------------------------------------------------------------


def test_resolve_closes_the_alert_and_names_who_resolved_it() -> None:
    view = run(raised(), ack(5), resolved(60))
    assert view.status == "resolved" and view.closed and view.closed_at == at(60)
    assert view.resolved_by.name == "Alex"


def test_cancel_closes_the_alert_with_its_reason() -> None:
    view = run(raised(), cancelled(10, reason="resolved_at_counter"))
    assert view.status == "cancelled" and view.closed
    assert view.cancel_reason == "resolved_at_counter"


def test_messages_after_close_are_ignored() -> None:
    view = run(raised(), cancelled(10))
    for late in (ack(11), escalated("security_second_guard", 20), resolved(30), raised(40)):
        assert apply(view, late) is view


def test_a_closing_message_is_taken_even_when_the_view_is_full(monkeypatch) -> None:
    monkeypatch.setattr(state_module, "MAX_MESSAGES_PER_ALERT", 2)
    view = run(raised(), ack(5))
    assert apply(view, ack(6, "pager-b", "Kim")) is view
    assert apply(view, cancelled(10)).closed


# Escalation -----------------------------------------------------------------------------------


def test_escalation_steps_are_listed_once_in_order() -> None:
    view = run(
        raised(0, "security"),
        escalated("security_second_guard", 20, notify_roles=["security"], extra_responders=1),
        escalated("security_second_guard", 21, device="hub-1", notify_roles=["security"]),
        escalated("security_add_manager", 40, notify_roles=["manager"]),
    )
    assert view.escalation_steps_done == ("security_second_guard", "security_add_manager")
    assert view.notified_roles == {"security", "manager"}
    assert view.extra_responders_requested == 1
    assert not view.call_for_help


def test_a_step_is_taken_once_even_when_it_was_built_without_the_deterministic_id() -> None:
    by_hand = AlertEscalated(
        alert_id=ALERT,
        step_id="manager_next_manager",
        store=STORE,
        device="hub-1",
        sent_at=at(46),
        extra_responders=1,
    )
    view = run(raised(), escalated("manager_next_manager", 45, extra_responders=1), by_hand)
    assert view.escalation_steps_done == ("manager_next_manager",)
    assert view.extra_responders_requested == 1


def test_the_last_rung_tells_staff_to_call_for_help() -> None:
    view = run(raised(0, "security"), escalated("security_call_for_help", 60, call_for_help=True))
    assert view.call_for_help and view.needs_call_for_help


def test_an_ack_racing_a_re_page_still_wins() -> None:
    repage = escalated("security_second_guard", 20, notify_roles=["security"], extra_responders=1)
    guard_ack = ack(19.9, "pager-g", "Sam", "security")
    for order in ((repage, guard_ack), (guard_ack, repage)):
        view = run(raised(0, "security"), *order)
        assert view.status == "acknowledged"
        assert view.first_responder.name == "Sam"
        assert view.escalation_steps_done == ("security_second_guard",)


def test_an_ack_after_the_call_for_help_rung_clears_the_call_for_help_prompt() -> None:
    view = run(
        raised(0, "security"),
        escalated("security_call_for_help", 60, call_for_help=True),
        ack(61, "pager-g", "Sam", "security"),
    )
    assert view.call_for_help and not view.needs_call_for_help


def test_raising_to_security_starts_without_the_managers_call_for_help() -> None:
    view = run(
        raised(0, "manager"),
        escalated("manager_call_for_help", 120, call_for_help=True),
        ack(125),
        raised(130, "security"),
    )
    assert not view.call_for_help and view.status == "raised"


# Order independence ---------------------------------------------------------------------------


def test_every_arrival_order_gives_the_same_view() -> None:
    messages = [
        raised(0, "manager"),
        ack(6, "pager-b", "Kim"),
        ack(5, "pager-a", "Alex"),
        escalated("manager_next_manager", 45, notify_roles=["manager"]),
        raised(50, "security"),
        on_scene(70, "pager-g", "Sam", "security"),
    ]
    expected = fold(messages)
    book_views = set()
    for order in itertools.permutations(messages):
        book = AlertBook()
        for message in order:
            book.apply(message)
        book_views.add(book[ALERT])
    assert book_views == {expected}
    assert expected.status == "on_scene" and expected.first_responder.name == "Alex"


def test_the_timeline_is_in_time_order_whatever_the_arrival_order() -> None:
    view = run(raised(0), ack(9, "pager-b", "Kim"), ack(5, "pager-a", "Alex"))
    assert [e.at for e in view.timeline] == [at(0), at(5), at(9)]
    assert "Alex" in view.timeline[1].detail


# AlertBook ------------------------------------------------------------------------------------


def test_book_holds_an_ack_that_arrives_before_its_raise() -> None:
    book = AlertBook()
    assert book.apply(ack(5)) is None
    assert ALERT not in book and book.pending_count() == 1
    view = book.apply(raised(0))
    assert view.status == "acknowledged" and view.first_responder.name == "Alex"
    assert book.pending_count() == 0


def test_book_holds_a_cancel_that_arrives_before_its_raise() -> None:
    book = AlertBook()
    book.apply(cancelled(10))
    assert book.apply(raised(0)).closed
    assert book.open_alerts() == [] and [v.alert_id for v in book.history()] == [ALERT]


def test_book_returns_none_for_duplicates_and_for_changes_nobody_can_see() -> None:
    book = AlertBook()
    first = ack(5)
    book.apply(raised(0))
    assert book.apply(first) is not None
    assert book.apply(first) is None  # redelivered event id
    assert book.apply(ack(8)) is None  # same responder again
    presence = Presence(store=STORE, device="pager-a", kind="pager", role="manager", online=True)
    assert book.apply(presence) is None


def test_book_lists_open_alerts_oldest_first_and_history_newest_closed_first() -> None:
    book = AlertBook()
    ids = [uuid.UUID(int=n) for n in range(1, 4)]
    for n, alert_id in enumerate(ids):
        book.apply(raised(n, alert_id=alert_id))
    book.apply(AlertCancelled(alert_id=ids[1], store=STORE, device=KIOSK, reason="false_alarm"))
    book.apply(AlertCancelled(alert_id=ids[0], store=STORE, device=KIOSK, reason="false_alarm"))
    assert [v.alert_id for v in book.open_alerts()] == [ids[2]]
    assert [v.alert_id for v in book.history()] == [ids[0], ids[1]]
    assert len(book) == 3 and set(book) == set(ids)


def test_book_forgets_old_history_and_never_reopens_a_forgotten_alert() -> None:
    book = AlertBook(history_limit=1)
    old, new = uuid.UUID(int=1), uuid.UUID(int=2)
    for alert_id in (old, new):
        book.apply(raised(0, alert_id=alert_id))
        book.apply(
            AlertCancelled(alert_id=alert_id, store=STORE, device=KIOSK, reason="false_alarm")
        )
    assert old not in book and [v.alert_id for v in book.history()] == [new]
    assert book.apply(raised(99, alert_id=old)) is None and old not in book


def test_book_pending_buffer_is_bounded() -> None:
    book = AlertBook(pending_alerts=2, pending_per_alert=3)
    for n in range(5):
        book.apply(ack(n, device=f"pager-{n}"))
    assert book.pending_count() == 3
    for n in range(1, 4):
        book.apply(ack(1, alert_id=uuid.UUID(int=n)))
    assert book.pending_count() == 2  # only the two most recent alerts are kept


def test_book_event_id_memory_is_bounded_and_the_view_still_dedups() -> None:
    book = AlertBook(seen_limit=2)
    first = ack(5)
    book.apply(raised(0))
    book.apply(first)
    book.apply(ack(6, "pager-b", "Kim"))
    book.apply(ack(7, "pager-c", "Lee"))
    assert book.apply(first) is None  # forgotten by the ring, still known to the view
    assert len(book[ALERT].responders) == 3
