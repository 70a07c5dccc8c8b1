"""Kiosk view-model without a window: tap feedback, screens, presence strip, wrap-up send."""

from __future__ import annotations

import time

from kiosk.screenshots import acknowledge, deliver_all, demo_vm
from shared.device_runtime import Delivery
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import AlertCancelled, AlertRaised, IncidentReport, Presence


def test_security_tap_updates_the_screen_state_immediately() -> None:
    vm, sender, _ = demo_vm()
    vm.choose("angry")
    vm.next_step()
    started = time.perf_counter()
    vm.tap_escalate("security")
    assert time.perf_counter() - started < 0.1
    assert vm.screen == "alert" and vm.alert_loud and vm.alert_level == "security"
    (raised, topic, receipt) = sender.sent[0]
    assert isinstance(raised, AlertRaised) and raised.context.step_index == 1
    assert topic.endswith("/kiosk/kiosk-1/alert") and not receipt
    assert vm.panel_lines[0]["text"].startswith("Sending")


def test_acknowledgement_shows_the_responder_by_name() -> None:
    vm, sender, clock = demo_vm()
    vm.tap_escalate("security")
    deliver_all(vm, sender)
    acknowledge(vm, clock, "Sam", "security")
    texts = [line["text"] for line in vm.panel_lines]
    assert texts[0] == "Sent to the store system"
    assert texts[1].startswith("Sam (security) is on the way")


def test_offline_tap_says_not_delivered_with_the_emergency_number() -> None:
    vm, _, _ = demo_vm()
    vm.on_link(LinkEvent(LinkState.OFFLINE))
    vm.tap_escalate("security")
    assert vm.panel_alarm and "NOT DELIVERED" in vm.panel_lines[0]["text"]
    assert "112" in vm.panel_lines[0]["text"]


def test_silent_control_changes_only_the_dot() -> None:
    vm, sender, _ = demo_vm()
    vm.choose("angry")
    vm.tap_escalate("security", silent=True)
    assert vm.screen == "steps" and not vm.alert_loud and vm.silent_dot == "queued"
    assert sender.sent[0][0].silent
    vm.on_delivery(Delivery(sender.sent[0][0].event_id, "delivered", "ok"))
    assert vm.silent_dot == "delivered" and vm.screen == "steps"


def test_manager_undo_cancels_as_false_alarm_and_returns_to_the_step() -> None:
    vm, sender, clock = demo_vm()
    vm.choose("angry")
    vm.tap_escalate("manager")
    assert vm.undo_left == 5
    clock.advance(2)
    vm.undo()
    cancel = sender.sent[-1][0]
    assert isinstance(cancel, AlertCancelled) and cancel.reason == "false_alarm"
    assert vm.screen == "steps" and not vm.alert_active


def test_presence_fills_the_strip_and_warns_when_no_security_is_on_shift() -> None:
    vm, _, clock = demo_vm()
    assert (vm.managers_on_duty, vm.security_on_duty) == (2, 1)
    vm.on_message(
        Presence(
            store="demo",
            device="pager-s1",
            kind="pager",
            role="security",
            online=True,
            on_duty=False,
            sent_at=clock.now,
        )
    )
    assert vm.security_on_duty == 0


def test_language_switch_retranslates_the_current_step() -> None:
    vm, _, _ = demo_vm()
    vm.choose("angry")
    english = vm.step_text
    vm.set_lang("fi")
    assert vm.step_text and vm.step_text != english and vm.situation_title == "Vihainen asiakas"


def test_calmed_without_help_sends_a_near_miss_report_needing_a_receipt() -> None:
    vm, sender, _ = demo_vm()
    vm.choose("angry")
    vm.next_step()
    vm.calmed()
    assert vm.screen == "wrapup"
    assert not vm.save_wrapup() and vm.wrapup_error  # outcome missing
    vm.wrapup.outcome = "resolved_on_spot"
    assert vm.save_wrapup() and vm.screen == "selfcare"
    report, topic, needs_receipt = sender.sent[-1]
    assert isinstance(report, IncidentReport) and report.near_miss and report.steps_reached == 2
    assert needs_receipt and topic.endswith("/kiosk/kiosk-1/incident")
    vm.finish_selfcare()
    assert vm.screen == "home"


def test_exit_needs_the_pin() -> None:
    vm, _, _ = demo_vm()
    left: list[bool] = []
    vm.on_exit = lambda: left.append(True)
    vm.request_exit()
    for key in "1111":
        vm.pin_key(key)
    vm.pin_key("ok")
    assert vm.pin_error and not left
    for key in vm.settings.exit_pin:
        vm.pin_key(key)
    vm.pin_key("ok")
    assert left == [True]


def test_on_trigger_step_shows_the_trigger_quietly_in_the_current_language() -> None:
    vm, _, clock = demo_vm()
    vm.choose("rude")
    assert vm.trigger_text == (
        "Call a manager if: The insults continue after you've asked once to stop."
    )
    assert vm.suggestion_text == ""
    vm.lang = "fi"
    assert vm.trigger_text.startswith("Kutsu esihenkilö, jos: Loukkaukset jatkuvat")
    clock.advance(11 * 60)  # past the limit: the stronger suggestion replaces the hint
    vm.tick()
    assert vm.suggestion_text and vm.trigger_text == ""
    vm.go_home()
    vm.choose("angry")  # on_limit: no trigger line
    assert vm.trigger_text == ""


def test_drill_kiosk_marks_its_alert_and_sends_it_as_a_drill() -> None:
    vm, sender, _ = demo_vm(drill=True)
    vm.tap_escalate("security")
    (raised, _topic, _receipt) = sender.sent[0]
    assert isinstance(raised, AlertRaised) and raised.drill
    assert vm.panel_header.startswith("DRILL · ")
    real, _, _ = demo_vm()
    real.tap_escalate("security")
    assert "DRILL" not in real.panel_header
