"""Kiosk flow state machine: navigation, triage routing, time limit and alert context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.flow import Flow, FlowError
from shared.playbooks import load_playbooks, load_triage, route_triage

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def flow() -> Flow:
    questions = load_triage("en")
    return Flow(
        load_playbooks("en"),
        [q.id for q in questions],
        route=route_triage,
        triage_opens={q.id: q.opens for q in questions if q.opens},
    )


def answer_yes_to(flow: Flow, question: str) -> None:
    """Start triage and answer no until ``question``, then yes."""
    flow.start_triage(T0)
    while flow.triage_question != question:
        assert flow.triage_question is not None, f"{question} was never asked"
        flow.answer(False, T0)
    flow.answer(True, T0)


def test_choose_then_next_and_back_walk_the_steps_and_back_leaves_to_home(flow: Flow) -> None:
    flow.choose("angry", T0)
    assert (flow.screen, flow.step_index, flow.step_count) == ("steps", 0, 9)
    flow.next()
    flow.next()
    assert flow.step_index == 2 and flow.max_step_reached == 2
    flow.back()
    assert flow.step_index == 1 and flow.max_step_reached == 2
    flow.back()
    flow.back()
    assert flow.screen == "home"


def test_next_stops_at_the_last_step(flow: Flow) -> None:
    flow.choose("talkative", T0)
    for _ in range(20):
        flow.next()
    assert flow.step_index == flow.step_count - 1 and not flow.can_next


def test_unknown_situation_is_refused(flow: Flow) -> None:
    with pytest.raises(FlowError):
        flow.choose("nope", T0)


def test_triage_all_no_returns_home_without_suggestion(flow: Flow) -> None:
    flow.start_triage(T0)
    for _ in flow.triage_ids:
        flow.answer(False, T0)
    assert flow.screen == "home" and flow.triage_route is None
    assert flow.suggestion(T0) is None


@pytest.mark.parametrize(
    ("question", "situation", "role"),
    [
        ("weapon_or_robbery", "robbery", "security"),
        ("physical", "threatening", "security"),
        ("threat", "threatening", "security"),
        ("hurt_or_unwell", "unwell", "manager"),
        ("intoxicated", "intoxicated", "security"),
    ],
)
def test_a_yes_in_triage_opens_its_card_at_once_with_the_right_level(
    flow: Flow, question: str, situation: str, role: str
) -> None:
    answer_yes_to(flow, question)
    assert (flow.screen, flow.situation, flow.step_index) == ("steps", situation, 0)
    assert flow.triage_route == role
    suggestion = flow.suggestion(T0)
    assert suggestion is not None and (suggestion.role, suggestion.reason) == (role, "triage")
    assert flow.context().risk == "high"


def test_a_weapon_lands_on_the_robbery_steps_not_on_a_threat_step(flow: Flow) -> None:
    answer_yes_to(flow, "weapon_or_robbery")
    assert flow.playbook is not None and flow.playbook.steps[0].id == "comply"
    assert flow.triage_index == 1  # no further questions asked: the card is open at once


def test_someone_unwell_pages_a_manager_and_the_first_step_phones_for_help(flow: Flow) -> None:
    answer_yes_to(flow, "hurt_or_unwell")
    first = flow.playbook.steps[0]  # type: ignore[union-attr]
    assert first.id == "call" and first.calls  # the kiosk shows the emergency number here
    assert flow.playbook.escalation.role == "manager"  # type: ignore[union-attr]


def test_physical_contact_opens_the_threat_steps_on_a_step_that_phones_for_help(
    flow: Flow,
) -> None:
    answer_yes_to(flow, "physical")
    assert flow.playbook.steps[0].calls  # type: ignore[union-attr]


def test_answer_without_open_question_is_an_error(flow: Flow) -> None:
    with pytest.raises(FlowError):
        flow.answer(True, T0)


def test_elapsed_time_and_limit_suggest_escalation_with_a_fake_clock(flow: Flow) -> None:
    flow.choose("angry", T0)  # manager, on_limit, 10 min by default
    assert flow.elapsed(T0 + timedelta(seconds=134)) == timedelta(seconds=134)
    assert flow.suggestion(T0 + timedelta(minutes=9, seconds=59)) is None
    late = flow.suggestion(T0 + timedelta(minutes=10))
    assert late is not None and (late.role, late.reason) == ("manager", "over_limit")


def test_configured_staff_limit_overrides_the_playbook_limit() -> None:
    flow = Flow(load_playbooks("en"), [], limit_minutes=3)
    flow.choose("talkative", T0)  # no routine escalation: the limit still suggests a manager
    assert flow.suggestion(T0 + timedelta(minutes=2)) is None
    late = flow.suggestion(T0 + timedelta(minutes=3))
    assert late is not None and late.role == "manager"


def test_immediate_situations_suggest_their_role_at_once(flow: Flow) -> None:
    flow.choose("threatening", T0)
    suggestion = flow.suggestion(T0)
    assert suggestion is not None and (suggestion.role, suggestion.reason) == (
        "security",
        "immediately",
    )


def test_context_carries_situation_step_risk_and_start(flow: Flow) -> None:
    flow.choose("rude", T0)
    flow.next()
    context = flow.context()
    assert context.situation == "rude" and context.step_index == 1 and context.step_count == 9
    assert context.risk == "medium" and context.flow_started_at == T0


def test_context_reports_the_furthest_step_after_going_back(flow: Flow) -> None:
    flow.choose("rude", T0)
    flow.next()
    flow.next()
    flow.back()
    assert flow.step_index == 1 and flow.context().step_index == 2


def test_calmed_without_help_is_a_near_miss_and_reset_clears_everything(flow: Flow) -> None:
    flow.choose("angry", T0)
    flow.calmed_without_help()
    assert flow.screen == "wrapup" and flow.near_miss
    flow.reset()
    assert flow.screen == "home" and flow.situation is None and flow.started_at is None


def test_on_trigger_situations_name_whom_to_call_until_a_stronger_suggestion(flow: Flow) -> None:
    flow.choose("rude", T0)  # manager, on_trigger
    assert flow.suggestion(T0) is None and flow.trigger_role(T0) == "manager"
    late = T0 + timedelta(minutes=flow.limit_minutes)
    assert flow.suggestion(late) is not None and flow.trigger_role(late) is None


@pytest.mark.parametrize("situation", ["angry", "talkative", "threatening", "wants_senior"])
def test_other_situations_have_no_trigger_hint(flow: Flow, situation: str) -> None:
    flow.choose(situation, T0)
    assert flow.trigger_role(T0) is None
