"""Escalation ladders (data + loading), presence tracking, and decide() on a fake clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.alerts.book import AlertBook
from shared.alerts.policy import (
    DEFAULT_LADDERS,
    Decision,
    Policy,
    PolicyError,
    decide,
    default_policy,
    escalation_messages,
    load_policy,
    load_store_policy,
)
from shared.alerts.presence import PresenceBook, PresenceSummary, RoleCount
from shared.alerts.state import AlertView, apply
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    Presence,
    Resolved,
    decode,
    encode,
)

T0 = datetime(2025, 3, 1, 14, 0, 0, tzinfo=UTC)
STORE = "s1"
KIOSK = "kiosk-1"
ALERT = uuid.UUID("00000000-0000-4000-8000-000000000002")
POLICY = default_policy()
EVERYONE = PresenceSummary(manager=RoleCount(2, 2), security=RoleCount(2, 2))
SECURITY_STEPS = ("security_second_guard", "security_add_manager", "security_call_for_help")
MANAGER_STEPS = ("manager_next_manager", "manager_all_staff", "manager_call_for_help")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def alert(level: str = "security", *, drill: bool = False) -> AlertView:
    message = AlertRaised(
        alert_id=ALERT,
        store=STORE,
        device=KIOSK,
        level=level,
        counter="Till 3",
        sent_at=T0,
        drill=drill,
    )
    view = apply(None, message)
    assert view is not None
    return view


def ack(seconds: float, role: str = "security") -> Acknowledged:
    return Acknowledged(
        alert_id=ALERT,
        store=STORE,
        device="pager-g",
        responder_name="Sam",
        responder_role=role,
        sent_at=at(seconds),
    )


def fire(view: AlertView, decision: Decision, seconds: float, device: str = KIOSK) -> AlertView:
    """Publish the due rungs as the given device would, and fold them back in."""
    for message in escalation_messages(decision, view, STORE, device, now=at(seconds)):
        view = apply(view, message)
    return view


def due_ids(decision: Decision) -> list[str]:
    return [step.step_id for step in decision.due]


def write(tmp_path: Path, text: str, name: str = "s1.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The default ladders --------------------------------------------------------------------------


def test_default_ladders_are_the_documented_sub_minute_rungs() -> None:
    security = [
        (s.id, s.after_seconds, s.notify, s.extra_responders, s.call_for_help)
        for s in POLICY.ladders.security.steps
    ]
    assert security == [
        ("security_second_guard", 20, ("security",), 1, False),
        ("security_add_manager", 40, ("manager",), 0, False),
        ("security_call_for_help", 60, ("security", "manager"), 0, True),
    ]
    manager = [
        (s.id, s.after_seconds, s.extra_responders, s.call_for_help)
        for s in POLICY.ladders.manager.steps
    ]
    assert manager == [
        ("manager_next_manager", 45, 1, False),
        ("manager_all_staff", 90, 0, False),
        ("manager_call_for_help", 120, 0, True),
    ]
    assert POLICY.ladders.manager.steps[1].notify == ("manager", "security")


# Each rung at its time and not before ---------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "steps", "times"),
    [("security", SECURITY_STEPS, (20, 40, 60)), ("manager", MANAGER_STEPS, (45, 90, 120))],
)
def test_each_rung_fires_at_its_time_and_not_before(level, steps, times) -> None:
    view = alert(level)
    for step_id, seconds in zip(steps, times, strict=True):
        early = decide(view, at(seconds - 0.1), EVERYONE, POLICY)
        assert early.due == () and early.next_check_at == at(seconds)
        on_time = decide(view, at(seconds), EVERYONE, POLICY)
        assert due_ids(on_time) == [step_id]
        assert on_time.warnings == () and on_time.reroute_to is None
        view = fire(view, on_time, seconds)
    final = decide(view, at(999), EVERYONE, POLICY)
    assert final.due == () and final.next_check_at is None
    assert view.escalation_steps_done == steps and view.needs_call_for_help


def test_a_late_timer_catches_up_on_every_overdue_rung_in_order() -> None:
    decision = decide(alert("security"), at(75), EVERYONE, POLICY)
    assert due_ids(decision) == list(SECURITY_STEPS)
    assert decision.next_check_at is None


def test_rungs_already_done_by_another_device_are_not_due_again() -> None:
    view = fire(alert("security"), decide(alert("security"), at(20), EVERYONE, POLICY), 20, "hub")
    decision = decide(view, at(45), EVERYONE, POLICY)
    assert due_ids(decision) == ["security_add_manager"]
    assert decision.next_check_at == at(60)


def test_a_raise_to_security_runs_the_security_ladder_from_the_upgrade() -> None:
    view = alert("manager")
    view = fire(view, decide(view, at(45), EVERYONE, POLICY), 45)
    upgrade = AlertRaised(
        alert_id=ALERT,
        store=STORE,
        device=KIOSK,
        level="security",
        counter="Till 3",
        sent_at=at(50),
    )
    view = apply(view, upgrade)
    assert decide(view, at(69), EVERYONE, POLICY).next_check_at == at(70)
    assert due_ids(decide(view, at(70), EVERYONE, POLICY)) == ["security_second_guard"]


# Answered or closed alerts stop escalating ----------------------------------------------------


def test_acknowledged_on_scene_resolved_and_cancelled_alerts_have_nothing_due() -> None:
    acknowledged = apply(alert(), ack(5))
    resolved = apply(
        acknowledged,
        Resolved(
            alert_id=ALERT,
            store=STORE,
            device="pager-g",
            responder_name="Sam",
            responder_role="security",
            sent_at=at(9),
        ),
    )
    for view in (acknowledged, resolved):
        assert decide(view, at(600), EVERYONE, POLICY) == Decision()


def test_cancel_during_escalation_stops_the_ladder() -> None:
    view = alert("security")
    view = fire(view, decide(view, at(20), EVERYONE, POLICY), 20)
    view = apply(
        view,
        AlertCancelled(
            alert_id=ALERT, store=STORE, device=KIOSK, reason="resolved_at_counter", sent_at=at(30)
        ),
    )
    decision = decide(view, at(60), EVERYONE, POLICY)
    assert decision.due == () and decision.next_check_at is None


def test_an_ack_racing_a_re_page_wins_and_stops_the_ladder() -> None:
    view = alert("security")
    repage = escalation_messages(decide(view, at(20), EVERYONE, POLICY), view, STORE, KIOSK)
    book = AlertBook()
    book.apply(
        AlertRaised(
            alert_id=ALERT,
            store=STORE,
            device=KIOSK,
            level="security",
            counter="Till 3",
            sent_at=T0,
        )
    )
    book.apply(ack(20))  # the guard tapped as the re-page went out
    book.apply(repage[0])
    view = book[ALERT]
    assert view.status == "acknowledged" and view.first_responder.name == "Sam"
    assert view.escalation_steps_done == ("security_second_guard",)
    assert decide(view, at(60), EVERYONE, POLICY) == Decision()


# Presence ------------------------------------------------------------------------------------


def test_nobody_on_duty_means_call_for_help_at_once() -> None:
    decision = decide(alert("security"), T0, PresenceSummary(), POLICY)
    assert "nobody_on_duty" in decision.warnings
    assert due_ids(decision)[-1] == "security_call_for_help"
    assert decision.due[-1].call_for_help and decision.next_check_at is None


def test_offline_responders_are_skipped_until_a_rung_reaches_someone_online() -> None:
    presence = PresenceSummary(manager=RoleCount(1, 1), security=RoleCount(1, 0))
    decision = decide(alert("security"), T0, presence, POLICY)
    assert decision.warnings == ("no_security_online",)
    assert due_ids(decision) == ["security_second_guard", "security_add_manager"]
    assert decision.next_check_at == at(60)  # the manager now gets the normal time to answer
    assert decision.reroute_to is None


def test_everyone_on_duty_but_offline_collapses_the_ladder_to_call_for_help() -> None:
    presence = PresenceSummary(manager=RoleCount(1, 0), security=RoleCount(2, 0))
    decision = decide(alert("manager"), T0, presence, POLICY)
    assert decision.warnings == ("no_manager_online", "nobody_online")
    assert due_ids(decision) == list(MANAGER_STEPS)


def test_no_security_on_duty_reroutes_to_the_manager_at_once() -> None:
    presence = PresenceSummary(manager=RoleCount(1, 1), security=RoleCount(0, 0))
    view = alert("security")
    decision = decide(view, T0, presence, POLICY)
    assert decision.warnings == ("no_security_on_duty",)
    assert decision.reroute_to == "manager"
    assert [(s.step_id, s.notify_roles) for s in decision.due] == [
        ("reroute_manager", ("manager",))
    ]
    assert decision.next_check_at == at(20)  # the manager is online, so the ladder waits for them
    view = fire(view, decision, 0)
    assert view.notified_roles == {"manager"}
    assert decide(view, at(1), presence, POLICY).due == ()


def test_no_manager_on_duty_reroutes_to_security() -> None:
    presence = PresenceSummary(manager=RoleCount(0, 0), security=RoleCount(1, 1))
    decision = decide(alert("manager"), T0, presence, POLICY)
    assert decision.reroute_to == "security" and due_ids(decision) == ["reroute_security"]
    assert decision.warnings == ("no_manager_on_duty",)


def test_reroute_to_an_offline_role_goes_straight_to_call_for_help() -> None:
    presence = PresenceSummary(manager=RoleCount(1, 0), security=RoleCount(0, 0))
    decision = decide(alert("security"), T0, presence, POLICY)
    assert due_ids(decision) == ["reroute_manager", *SECURITY_STEPS]
    assert decision.warnings == ("no_security_on_duty", "nobody_online")


def test_unknown_presence_runs_the_plain_timed_ladder() -> None:
    decision = decide(alert("security"), T0, PresenceSummary.unknown(), POLICY)
    assert decision.due == () and decision.next_check_at == at(20)
    assert decision.warnings == ("presence_unknown",)


def test_presence_book_counts_on_duty_and_online_pagers_per_role() -> None:
    book = PresenceBook(STORE)
    for device, role, online, on_duty in [
        ("pager-m1", "manager", True, True),
        ("pager-m2", "manager", True, False),  # off duty: not counted
        ("pager-s1", "security", False, True),
        ("kiosk-1", "kiosk", True, True),  # not a responder
    ]:
        kind = "kiosk" if role == "kiosk" else "pager"
        book.apply(
            Presence(
                store=STORE,
                device=device,
                kind=kind,
                role=role,
                online=online,
                on_duty=on_duty,
                sent_at=T0,
            )
        )
    book.apply(
        Presence(
            store="s2",
            device="pager-x",
            kind="pager",
            role="security",
            online=True,
            on_duty=True,
            sent_at=T0,
        )
    )
    assert book.summary() == PresenceSummary(manager=RoleCount(1, 1), security=RoleCount(1, 0))


def test_presence_book_ignores_stale_updates_but_always_applies_the_last_will() -> None:
    book = PresenceBook()

    def status(seconds: float, online: bool, *, on_duty: bool = True, clean: bool = True):
        return Presence(
            store=STORE,
            device="pager-s1",
            kind="pager",
            role="security",
            online=online,
            on_duty=on_duty,
            clean=clean,
            sent_at=at(seconds),
        )

    assert book.apply(status(10, True))
    assert not book.apply(status(5, False))  # an older retained copy
    assert book.is_online("pager-s1")
    # The will was built at connect (t=1) but published when the pager died.
    assert book.apply(status(1, False, on_duty=False, clean=False))
    assert book.summary().security == RoleCount(on_duty=1, online=0)
    assert not book.apply(status(9, True))  # still older than what we knew
    assert book.apply(status(30, True))  # reconnected
    assert book.summary().security == RoleCount(1, 1)


def test_presence_is_unknown_until_synced_or_a_pager_is_seen() -> None:
    book = PresenceBook()
    assert not book.summary().known
    book.mark_synced()
    assert book.summary() == PresenceSummary()


def test_role_count_rejects_more_online_than_on_duty() -> None:
    with pytest.raises(ValueError, match="online"):
        RoleCount(on_duty=1, online=2)


# Messages ------------------------------------------------------------------------------------


def test_kiosk_and_hub_publish_the_same_event_id_so_each_rung_is_recorded_once() -> None:
    view = alert("security")
    decision = decide(view, at(20), EVERYONE, POLICY)
    from_kiosk = escalation_messages(decision, view, STORE, KIOSK, now=at(20))
    from_hub = escalation_messages(decision, view, STORE, "hub-1", now=at(20.5))
    assert [m.event_id for m in from_kiosk] == [m.event_id for m in from_hub]
    assert (
        from_kiosk[0].event_id
        == AlertEscalated.for_step(
            ALERT, "security_second_guard", store=STORE, device=KIOSK
        ).event_id
    )
    message = from_kiosk[0]
    assert (message.notify_roles, message.extra_responders, message.call_for_help) == (
        ["security"],
        1,
        False,
    )
    assert message.reason and decode(encode(message)) == message
    book = AlertBook()
    book.apply(
        AlertRaised(
            alert_id=ALERT,
            store=STORE,
            device=KIOSK,
            level="security",
            counter="Till 3",
            sent_at=T0,
        )
    )
    assert book.apply(from_kiosk[0]) is not None
    assert book.apply(from_hub[0]) is None


def test_drill_alerts_escalate_the_same_way_but_are_marked_as_drills() -> None:
    view = alert("security", drill=True)
    decision = decide(view, at(60), EVERYONE, POLICY)
    assert due_ids(decision) == list(SECURITY_STEPS)
    messages = escalation_messages(decision, view, STORE, KIOSK)
    assert [m.drill for m in messages] == [True, True, True]


def test_decide_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(alert(), datetime(2025, 3, 1, 14, 0), EVERYONE, POLICY)


# Per-store override ---------------------------------------------------------------------------

FAST_SECURITY = """
[[ladders.security.steps]]
id = "fast_repage"
after_seconds = 5
notify = ["security"]

[[ladders.security.steps]]
id = "fast_call"
after_seconds = 12.5
call_for_help = true

[routing.ring]
security = ["security"]
"""


def test_a_store_override_replaces_one_ladder_and_keeps_the_rest(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, FAST_SECURITY))
    assert [s.id for s in policy.ladders.security.steps] == ["fast_repage", "fast_call"]
    assert policy.ladders.manager == POLICY.ladders.manager
    assert policy.routing.ring.security == ("security",)
    assert policy.routing.ring.manager == ("manager",)  # merged, not dropped
    view = alert("security")
    assert decide(view, at(4.9), EVERYONE, policy).next_check_at == at(5)
    assert due_ids(decide(view, at(12.5), EVERYONE, policy)) == ["fast_repage", "fast_call"]


def test_store_policy_uses_the_store_file_when_present(tmp_path: Path) -> None:
    write(tmp_path, FAST_SECURITY, "s1.toml")
    assert load_store_policy("s1", tmp_path).ladders.security.steps[0].id == "fast_repage"
    assert load_store_policy("s2", tmp_path) is default_policy()
    assert load_store_policy("s1", None) is default_policy()


# Broken ladder files --------------------------------------------------------------------------

STEP = '[[ladders.security.steps]]\nid = "{id}"\nafter_seconds = {t}\n{more}\n'


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (
            STEP.format(id="a", t=20, more="")
            + STEP.format(id="b", t=20, more="call_for_help = true"),
            "ladders.security",
            "strictly increasing",
        ),
        (STEP.format(id="a", t=20, more=""), "ladders.security", "call_for_help = true"),
        (
            STEP.format(id="a", t=20, more="call_for_help = true\ncolour = 'red'"),
            "ladders.security.steps.0.colour",
            "Extra inputs are not permitted",
        ),
        (
            STEP.format(id="a", t=0, more="call_for_help = true"),
            "ladders.security.steps.0.after_seconds",
            "greater than 0",
        ),
        (
            STEP.format(id="a", t=20, more="notify = ['police']\ncall_for_help = true"),
            "ladders.security.steps.0.notify.0",
            "'manager' or 'security'",
        ),
        (
            STEP.format(id="manager_all_staff", t=20, more="call_for_help = true"),
            "(top level)",
            "used twice",
        ),
        (
            STEP.format(id="reroute_manager", t=20, more="call_for_help = true"),
            "(top level)",
            "reserved",
        ),
        ("[routing.ring]\nsecurity = ['manager']\n", "routing", "must include 'security'"),
        ("[routing.show]\nsecurity = ['security']\n", "routing", "they ring for it"),
    ],
)
def test_a_broken_override_names_the_file_the_field_and_the_reason(
    tmp_path: Path, text: str, field: str, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message and f"{field}:" in message and reason in message


def test_a_broken_defaults_file_is_reported_by_its_own_name(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        DEFAULT_LADDERS.read_text().replace("after_seconds = 40", "after_seconds = 10"),
        "ladders.toml",
    )
    with pytest.raises(PolicyError, match=r"ladders\.toml: ladders\.security: .*strictly"):
        load_policy(defaults=bad)


def test_a_file_that_is_not_toml_or_is_missing_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(write(tmp_path, "[ladders\n"))
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "nope.toml")


def test_the_policy_is_immutable() -> None:
    assert isinstance(POLICY, Policy)
    with pytest.raises(ValueError, match="frozen"):
        POLICY.ladders = POLICY.ladders  # type: ignore[misc]
