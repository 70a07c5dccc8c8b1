"""Kiosk screen states from the second review, without a window: the no-answer state, the
disguised control's words and hidden cancel, neutral hints and the outlined button."""

from __future__ import annotations

from kiosk.screenshots import acknowledge, deliver_all, demo_vm
from shared.protocol import AlertCancelled
from shared.ui.line_breaking import NBSP, keep_together


def _no_answer(level: str):  # type: ignore[no-untyped-def]
    vm, sender, clock = demo_vm()
    vm.choose("angry")
    vm.tap_escalate(level)
    deliver_all(vm, sender)
    for _ in range(13):  # past the last rung of either ladder (60 s / 120 s)
        clock.advance(10)
        vm.tick()
        deliver_all(vm, sender)
    return vm, sender, clock


def test_delivered_alert_says_requested_with_a_tick() -> None:
    vm, sender, _ = demo_vm()
    vm.tap_escalate("security")
    deliver_all(vm, sender)
    assert vm.bar_subtitle == "requested ✓" and not vm.panel_no_answer


def test_nobody_answered_drops_the_tick_and_says_until_help_arrives() -> None:
    vm, _, _ = _no_answer("security")
    assert vm.panel_no_answer and vm.panel_alarm
    assert "✓" not in vm.bar_subtitle and vm.bar_subtitle == "no answer yet"
    assert vm.advice_title == "Until help arrives"
    assert vm.panel_number == "112"
    assert vm.panel_add_role == ""  # a security alert already pages the managers


def test_manager_alert_nobody_answered_offers_security_in_one_tap() -> None:
    vm, sender, _ = _no_answer("manager")
    assert vm.panel_no_answer and vm.panel_add_role == "security"
    assert vm.bar_highlight == "security"
    vm.add_other_role()
    raised = sender.sent[-1][0]
    assert raised.level == "security" and vm.alert_level == "security"


def test_an_answer_ends_the_no_answer_state() -> None:
    vm, _sender, clock = _no_answer("security")
    acknowledge(vm, clock, "Sam", "security")
    assert not vm.panel_no_answer and vm.panel_number == ""
    assert vm.advice_title != "Until help arrives"


def test_emergency_number_never_breaks_across_lines() -> None:
    assert keep_together(" +1 212 555 0100 ") == f"+1{NBSP}212{NBSP}555{NBSP}0100"
    assert keep_together("Counter 1") == f"Counter{NBSP}1"


def test_silent_control_reads_check_stock_checking_on_its_way() -> None:
    vm, sender, clock = demo_vm()
    vm.choose("angry")
    assert vm.silent_label == "Check stock"
    vm.tap_silent()
    assert vm.silent_label == "Checking…" and vm.screen == "steps" and not vm.alert_loud
    deliver_all(vm, sender)
    assert vm.silent_label == "Checking…"  # delivered, but nobody has answered yet
    acknowledge(vm, clock, "Sam", "security")
    assert vm.silent_label == "On its way" and vm.screen == "steps"
    vm.tap_silent()  # a second tap changes nothing
    assert len(sender.sent) == 1


def test_silent_control_says_not_in_stock_when_nobody_answers() -> None:
    vm, sender, clock = demo_vm()
    vm.tap_silent()
    for _ in range(7):
        clock.advance(10)
        vm.tick()
        deliver_all(vm, sender)
    assert vm.silent_label == "Not in stock" and not vm.alert_loud


def test_holding_the_silent_control_cancels_quietly() -> None:
    vm, sender, _ = demo_vm()
    vm.choose("angry")
    vm.tap_silent()
    deliver_all(vm, sender)
    vm.cancel_silent()
    cancel = sender.sent[-1][0]
    assert isinstance(cancel, AlertCancelled) and cancel.reason == "false_alarm"
    assert vm.silent_label == "Check stock" and vm.screen == "steps"
    assert vm.escalation.view is None
    vm.tap_silent()  # and the control works again
    assert vm.silent_label == "Checking…"


def test_holding_the_silent_control_never_cancels_a_loud_alert() -> None:
    vm, sender, _ = demo_vm()
    vm.tap_escalate("security")
    vm.cancel_silent()
    assert not any(isinstance(m, AlertCancelled) for m, _t, _r in sender.sent)


def test_suggestion_is_neutral_and_outlines_the_button() -> None:
    vm, _, _ = demo_vm()
    vm.choose("threatening")
    for _ in range(3):
        vm.next_step()
    vm.tick()
    assert vm.suggestion_role == "security" and vm.bar_highlight == "security"
    text = vm.suggestion_text.lower()
    assert "security" not in text and "threat" not in text and "press" not in text
