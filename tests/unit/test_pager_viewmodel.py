"""The pager view-model without a window: texts, screens and delivery feedback."""

from __future__ import annotations

import uuid

from shared.device_runtime import Delivery
from shared.mqtt_link import LinkEvent, LinkState
from staff_app.domain.clock import FakeClock
from staff_app.domain.pager import PagerCore
from staff_app.domain.ring import RecordingAudio, RingController
from staff_app.screenshots import ALEX, SCENE_NOW_S, _raise
from staff_app.viewmodel import PagerViewModel


def make(lang: str = "en") -> tuple[PagerViewModel, FakeClock, list, list]:
    clock, sent, sessions = FakeClock(), [], []
    core = PagerCore(
        ALEX,
        send=lambda m, t: sent.append(m),
        scheduler=clock,
        ring=RingController(RecordingAudio(), clock),
        on_duty=False,
    )
    vm = PagerViewModel(core, lang=lang, on_session=lambda *s: sessions.append(s))
    vm.on_link(LinkEvent(LinkState.ONLINE))
    clock.advance(SCENE_NOW_S)  # _raise() dates alerts relative to this moment
    return vm, clock, sent, sessions


def test_starts_on_sign_in_and_remembers_the_session() -> None:
    vm, _, _, sessions = make()
    assert vm.screen == "signin" and vm.role_text == "Manager" and vm.holder_name == "Alex"
    vm.sign_in(True)
    assert vm.screen == "home" and vm.duty and vm.core.on_duty
    assert sessions[-1] == (True, True, "en")


def test_late_silent_manager_alert_texts_in_japanese() -> None:
    vm, clock, _, _ = make("ja")
    vm.sign_in(True)
    vm.on_message(_raise(clock, "manager", 271, silent=True, situation="wants_senior"))
    assert vm.screen == "home"  # late: waits for the rest of the backlog before ringing
    clock.advance(2)  # rings when the backlog settled, 1.5 s after arrival
    assert vm.screen == "alert" and vm.alert_ringing and vm.level == "manager"
    assert vm.band_text == "責任者が必要" and vm.late_text == "遅れて受信（04:32前に発生）"
    assert "サイレント" in vm.silent_text and vm.responders_text == "ほかに応答者はまだいません"


def test_responder_sees_how_far_and_how_long_the_counter_got() -> None:
    vm, clock, _, _ = make()
    vm.sign_in(True)
    vm.on_message(_raise(clock, "security", 0, step_index=4, risk="high", flow_s=135))
    assert vm.step_text == "step 5 of 7 reached · 02:15 into the guided steps"
    assert vm.risk == "high" and vm.risk_text == "risk high"  # a coloured chip of its own


def test_acknowledge_shows_sending_then_sent_only_when_delivered() -> None:
    vm, clock, sent, _ = make()
    vm.sign_in(True)
    vm.on_message(_raise(clock, "security", 0))
    vm.choose_eta(2)
    vm.acknowledge()
    assert sent[-1].eta_minutes == 2 and vm.feedback_text == "Sending…"
    vm.on_delivery(Delivery(uuid.uuid4(), "delivered", "someone else's message"))
    assert vm.feedback_state == "sending"
    vm.on_delivery(Delivery(sent[-1].event_id, "delivered", "PUBACK"))
    assert vm.feedback_state == "sent" and vm.feedback_text.startswith("✓")
    assert vm.ack_text == "✓ You are on your way" and not vm.can_acknowledge


def test_failed_delivery_says_not_sent() -> None:
    vm, clock, sent, _ = make()
    vm.sign_in(True)
    vm.on_message(_raise(clock, "security", 0))
    vm.acknowledge()
    vm.on_delivery(Delivery(sent[-1].event_id, "failed", "Not authorized"))
    assert vm.feedback_state == "failed" and vm.feedback_text.startswith("NOT SENT")


def test_back_to_list_and_history_after_resolve() -> None:
    vm, clock, _, _ = make()
    vm.sign_in(True)
    vm.on_message(_raise(clock, "manager", 0, counter="Counter 3"))
    vm.show_list()
    assert vm.screen == "home" and vm.active_items[0]["title"] == "MANAGER NEEDED · Counter\u00a03"
    vm.open_alert(vm.active_items[0]["alert_id"])
    vm.start_resolve()
    assert vm.screen == "resolve"
    vm.confirm_resolve("Calmed down")
    assert vm.screen == "home" and vm.history_count == 1
    assert vm.history_items[0]["status"].startswith("resolved by Alex")


def test_hub_page_about_a_dead_kiosk_reads_as_such_in_every_language() -> None:
    from shared.i18n import LANGUAGES
    from staff_app.viewmodel import situation_title

    titles = {lang: situation_title("kiosk_offline", lang) for lang in LANGUAGES}
    assert titles["en"].startswith("Counter tablet went offline")
    assert len(set(titles.values())) == len(LANGUAGES)  # translated, not the raw id


def test_drill_alert_is_marked_on_the_pager_and_in_its_lists() -> None:
    vm, clock, _, _ = make()
    vm.sign_in(True)
    vm.on_message(_raise(clock, "security", 0, drill=True))
    assert vm.screen == "alert" and vm.drill
    assert "DRILL" in vm.active_items[0]["status"]
    vm.on_message(_raise(clock, "manager", 0, kiosk="kiosk-1", counter="Counter 1"))
    assert [("DRILL" in item["status"]) for item in vm.active_items].count(True) == 1
