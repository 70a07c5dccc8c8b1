"""Alert status panel: each line claims only what a delivery status or a message proves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.domain.panel import Panel, build_panel
from shared.alerts import AlertBook, AlertView
from shared.protocol import Acknowledged, AlertEscalated, AlertRaised, OnScene, Resolved

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def raised(level: str = "security", silent: bool = False) -> tuple[AlertBook, AlertView]:
    book = AlertBook()
    view = book.apply(
        AlertRaised(
            store="s1",
            device="kiosk-1",
            level=level,
            silent=silent,
            counter="Counter 1",
            sent_at=T0,
        )
    )
    assert view is not None
    return book, view


def panel(
    view: AlertView,
    delivery: str | None,
    seconds: float = 0.5,
    online: bool = True,
    **extra: object,
) -> Panel:
    return build_panel(
        view,
        delivery,
        now=T0 + timedelta(seconds=seconds),
        link_online=online,
        emergency_number="112",
        raised_locally_at=T0,
        **extra,
    )  # type: ignore[arg-type]


def keys(p: Panel) -> list[tuple[str, str]]:
    return [(line.state, line.key) for line in p.lines]


def test_queued_with_link_up_shows_sending_then_not_delivered_after_grace() -> None:
    _, view = raised()
    assert keys(panel(view, "queued"))[0] == ("waiting", "alert.sending")
    late = panel(view, "queued", seconds=2)
    assert keys(late)[0] == ("alarm", "alert.not_delivered") and late.alarm
    assert late.lines[0].fmt == {"number": "112"}


def test_queued_while_offline_is_not_delivered_at_once() -> None:
    _, view = raised()
    p = panel(view, "queued", seconds=0, online=False)
    assert p.alarm and keys(p)[0] == ("alarm", "alert.not_delivered")


def test_delivered_says_sent_and_waits_for_acknowledgement() -> None:
    _, view = raised()
    p = panel(view, "delivered", seconds=5)
    assert keys(p) == [
        ("done", "alert.sent"),
        ("waiting", "kiosk.panel.waiting_ack"),
        ("waiting", "alert.on_scene"),
    ]
    assert not p.alarm and p.advice_card == "wait_security"


def test_acknowledgement_names_responder_role_and_time_on_scene_and_resolved() -> None:
    book, view = raised()
    alert_id = view.alert_id
    who = {
        "store": "s1",
        "device": "pager-s1",
        "alert_id": alert_id,
        "responder_name": "Sam",
        "responder_role": "security",
    }
    view = book.apply(Acknowledged(**who, sent_at=T0 + timedelta(seconds=9)))  # type: ignore[arg-type]
    p = panel(view, "delivered", seconds=12)
    assert p.lines[1].key == "alert.on_the_way"
    assert p.lines[1].fmt == {"name": "Sam", "role": "security", "t": "00:09"}
    view = book.apply(OnScene(**who, sent_at=T0 + timedelta(seconds=30)))  # type: ignore[arg-type]
    assert ("done", "alert.on_scene") in keys(panel(view, "delivered", seconds=31))
    view = book.apply(Resolved(**who, sent_at=T0 + timedelta(seconds=90)))  # type: ignore[arg-type]
    closed = panel(view, "delivered", seconds=91)
    assert closed.closed and closed.lines[-1].key == "kiosk.panel.resolved_by"


def test_an_acknowledgement_is_shown_even_if_the_puback_was_lost() -> None:
    book, view = raised()
    view = book.apply(
        Acknowledged(
            store="s1",
            device="pager-s1",
            alert_id=view.alert_id,
            responder_name="Sam",
            responder_role="security",
            sent_at=T0 + timedelta(seconds=3),
        )
    )
    p = panel(view, "queued", seconds=5)
    assert not p.alarm and keys(p)[0] == ("done", "alert.on_the_way")


def test_last_rung_without_acknowledgement_is_red_with_the_phone_number() -> None:
    book, view = raised()
    view = book.apply(
        AlertEscalated.for_step(
            view.alert_id,
            "security_call_for_help",
            store="s1",
            device="kiosk-1",
            call_for_help=True,
            sent_at=T0 + timedelta(seconds=60),
        )
    )
    p = panel(view, "delivered", seconds=61)
    assert p.alarm and ("alarm", "alert.no_ack") in keys(p)


def test_silent_alert_changes_only_the_dot_and_never_turns_it_red() -> None:
    _, view = raised(silent=True)
    assert panel(view, "queued").dot == "queued"
    assert panel(view, "delivered", seconds=3).dot == "delivered"
    offline = panel(view, "queued", seconds=3, online=False)
    assert offline.dot == "alarm" and offline.silent


def test_undo_seconds_round_up_for_display() -> None:
    _, view = raised("manager")
    assert panel(view, "delivered", undo_left_s=4.2).undo_left_s == 5
    assert panel(view, "delivered").advice_card == "wait_manager"


def test_reroute_to_the_other_role_is_said_at_once() -> None:
    book, view = raised("security")
    rerouted = book.apply(
        AlertEscalated.for_step(
            view.alert_id,
            "reroute_manager",
            store="s1",
            device="kiosk-1",
            notify_roles=["manager"],
            sent_at=T0,
        )
    )
    assert rerouted is not None
    lines = panel(rerouted, "delivered").lines
    reroute = [line for line in lines if line.key.startswith("kiosk.reroute.")]
    assert len(reroute) == 1 and reroute[0].key == "kiosk.reroute.manager"
    assert not [
        line for line in panel(view, "delivered").lines if line.key.startswith("kiosk.reroute.")
    ]
