"""Kiosk flow state machine: navigation, triage routing, time limit and alert context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain.flow import Flow, FlowError
from shared.playbooks import load_playbooks, load_triage, route_triage

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def flow() -> Flow:
    return Flow(load_playbooks("en"), [q.id for q in load_triage("en")], route=route_triage)


def test_choose_then_next_and_back_walk_the_steps_and_back_leaves_to_home(flow: Flow) -> None:
    flow.choose("angry", T0)
    assert (flow.screen, flow.step_index, flow.step_count) == ("steps", 0, 7)
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


def test_triage_threat_routes_to_security_and_opens_the_threat_playbook(flow: Flow) -> None:
    flow.start_triage(T0)
    flow.answer(False, T0)  # danger
    flow.answer(True, T0)  # weapon_or_threat
    assert flow.screen == "steps" and flow.situation == "threatening"
    suggestion = flow.suggestion(T0)
    assert suggestion is not None and suggestion.role == "security"
    assert suggestion.reason == "triage"


def test_triage_intoxicated_opens_the_intoxicated_playbook(flow: Flow) -> None:
    flow.start_triage(T0)
    flow.answer(False, T0)
    flow.answer(False, T0)
    flow.answer(True, T0)
    assert flow.situation == "intoxicated" and flow.triage_route == "security"


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
    assert context.situation == "rude" and context.step_index == 1 and context.step_count == 7
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
