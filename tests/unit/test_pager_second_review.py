"""Pager behaviour from the second review: stood-down notices, the buzz when the connection
drops, and Resolve only after acknowledging. Plain Python, fake clock, recording audio."""

from __future__ import annotations

from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import AlertCancelled
from staff_app.domain.ring import LOST_VIBRATE_S, RecordingVibrator, RingController
from staff_app.viewmodel import PagerViewModel
from tests.support.pager_rig import Rig


def _vm(rig: Rig) -> PagerViewModel:
    vm = PagerViewModel(rig.core)
    vm.sign_in(True)
    return vm


def test_false_alarm_tells_the_responder_on_the_way() -> None:
    rig = Rig()
    vm = _vm(rig)
    alert = rig.raised()
    rig.core.acknowledge(alert.alert_id)
    rig.other(AlertCancelled, alert, device="kiosk-1", reason="false_alarm")
    assert vm.screen == "home" and not vm.has_alert
    assert vm.stood_down_text == "Stood down: false alarm at Counter\u00a01"
    vm.dismiss_stood_down()
    assert vm.stood_down_text == ""


def test_every_pager_that_showed_the_alert_is_stood_down() -> None:
    """Not only the one on the way: a manager pager that was ringing for it hears too."""
    rig = Rig("manager", device="pager-m1")
    vm = _vm(rig)
    alert = rig.raised("security")
    rig.other(AlertCancelled, alert, device="kiosk-1", reason="resolved_at_counter")
    assert vm.stood_down_text == "Stood down: calmed at Counter\u00a01 without help"


def test_an_alert_closed_before_it_was_shown_is_no_stand_down() -> None:
    rig = Rig(settle_s=1.5)
    vm = _vm(rig)
    alert = rig.raised(ago=600)  # late: still settling, never shown
    rig.other(AlertCancelled, alert, device="kiosk-1", reason="false_alarm")
    assert vm.stood_down_text == "" and rig.core.stood_down == []


def test_a_pager_that_loses_the_connection_buzzes_once_and_says_not_connected() -> None:
    rig = Rig()
    vibrator = RecordingVibrator()
    rig.core._ring = RingController(rig.audio, rig.clock, vibrator=vibrator)
    vm = _vm(rig)
    vm.on_link(LinkEvent(LinkState.OFFLINE))
    assert not vm.online and vm.link_text == "offline"
    assert rig.audio.played == ["manager"] and vibrator.buzzes == [LOST_VIBRATE_S]
    vm.on_link(LinkEvent(LinkState.OFFLINE))  # still down: no second buzz
    assert len(rig.audio.played) == 1


def test_an_off_duty_pager_does_not_buzz_when_the_connection_drops() -> None:
    rig = Rig(on_duty=False)
    rig.core.link_down()
    assert rig.audio.played == []


def test_takeover_until_acknowledged_and_resolve_only_after() -> None:
    rig = Rig()
    vm = _vm(rig)
    alert = rig.raised()
    assert vm.takeover and not vm.can_resolve
    assert vm.raised_at_text == "Raised at Counter\u00a01"
    rig.core.acknowledge(alert.alert_id)
    assert not vm.takeover and vm.can_resolve


def test_drill_is_in_the_band_itself() -> None:
    rig = Rig()
    vm = _vm(rig)
    rig.raised(drill=True)
    assert vm.drill_text == "DRILL — practice, not a real alert"
