"""Safety content: physical contact, police, robbery, theft, first aid, aftercare; grammar and
register rules found in review; the kiosk shows the whole waiting card and the number to call."""

from __future__ import annotations

import pytest

from kiosk.domain.aftercare import needs_aftercare, selfcare_lines
from kiosk.screenshots import deliver_all, demo_vm
from shared.i18n import LANGUAGES, load_ui_strings
from shared.playbooks import get_playbook, load_avoid_phrases, load_card, load_playbooks

CAN_TURN_PHYSICAL = ["angry", "demanding", "rude", "threatening", "intoxicated"]


def steps(situation: str, lang: str = "en") -> dict[str, object]:
    return {step.id: step for step in get_playbook(situation, lang).steps}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("situation", CAN_TURN_PHYSICAL)
def test_situations_that_can_turn_physical_say_what_to_do_and_phone(
    situation: str, lang: str
) -> None:
    contact = steps(situation, lang)["contact"]
    assert contact.calls  # type: ignore[attr-defined]


def test_the_contact_steps_name_touching_grabbing_pushing_spitting_and_throwing() -> None:
    for situation in CAN_TURN_PHYSICAL:
        text = steps(situation)["contact"].text.lower()  # type: ignore[attr-defined]
        for word in ("touch", "push", "spit", "throw"):
            assert word in text, (situation, word)
        assert "emergency number" in text


def test_threats_and_robbery_tell_staff_to_call_the_police() -> None:
    assert "police" in steps("threatening")["police"].text.lower()  # type: ignore[attr-defined]
    assert "police" in steps("robbery")["lock_call"].text.lower()  # type: ignore[attr-defined]
    assert "don't follow" in steps("threatening")["remember"].text.lower()  # type: ignore[attr-defined]


def test_the_robbery_card_puts_compliance_first_and_never_a_chase() -> None:
    robbery = get_playbook("robbery")
    assert [s.id for s in robbery.steps] == [
        "comply",
        "hands",
        "let_go",
        "lock_call",
        "preserve",
        "describe",
    ]
    assert (robbery.risk, robbery.escalation.role, robbery.escalation.when) == (
        "high",
        "security",
        "immediately",
    )
    assert load_avoid_phrases("en")["chase"] in robbery.steps[2].avoid


def test_shoplifting_means_no_chase_no_detaining_no_blocked_exit() -> None:
    theft = steps("theft")
    assert "chase" in theft["no_chase"].text.lower()  # type: ignore[attr-defined]
    assert "hold" in theft["no_chase"].text.lower()  # type: ignore[attr-defined]
    assert "block" in theft["no_block"].text.lower()  # type: ignore[attr-defined]
    assert theft["force"].calls  # type: ignore[attr-defined]


def test_someone_unwell_gets_the_number_first_and_a_manager() -> None:
    unwell = get_playbook("unwell")
    assert unwell.steps[0].calls and unwell.escalation.role == "manager"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_missing_deescalation_steps_exist_in_every_language(lang: str) -> None:
    assert steps("angry", lang)["aside"].say  # type: ignore[attr-defined]
    assert steps("rude", lang)["boundary"].say  # type: ignore[attr-defined]
    assert steps("poor_service", lang)["refund_doubt"].say  # type: ignore[attr-defined]
    assert steps("demanding", lang)["colleague"].say  # type: ignore[attr-defined]
    shown = {p for playbook in load_playbooks(lang) for s in playbook.steps for p in s.avoid}
    assert load_avoid_phrases(lang)["just_how_it_is"] in shown


def test_english_review_points_are_in_the_text() -> None:
    assert "silence" in steps("angry")["ask"].text  # type: ignore[attr-defined]
    assert "fair outcome" in steps("angry")["close"].say[0]  # type: ignore[attr-defined]
    assert "better" in steps("poor_service")["end_well"].say[0]  # type: ignore[attr-defined]
    assert "whole story" in load_card("wait_manager").lines[5]
    assert "insults" in steps("rude")["set_limit"].text  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_waiting_for_security_starts_with_the_emergency_line(lang: str) -> None:
    card = load_card("wait_security", lang)
    assert card.calls and len(card.lines) == 7
    assert card.lines[0] == load_card("wait_security", lang).lines[0]
    english = load_card("wait_security").lines
    assert "emergency number" in english[0] and "police" in english[1]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_aftercare_covers_injuries_debrief_support_and_police(lang: str) -> None:
    assert len(load_card("aftercare", lang).lines) == 4


def test_aftercare_follows_security_alerts_contact_weapons_and_injuries() -> None:
    calm = {"alert_level": None, "triage_route": None, "violence_type": "none", "injuries": False}
    assert not needs_aftercare(**calm)
    assert not needs_aftercare(**{**calm, "alert_level": "manager", "violence_type": "threat"})
    assert needs_aftercare(**{**calm, "alert_level": "security"})
    assert needs_aftercare(**{**calm, "triage_route": "security"})
    assert needs_aftercare(**{**calm, "violence_type": "physical"})
    assert needs_aftercare(**{**calm, "violence_type": "weapon"})
    assert needs_aftercare(**{**calm, "injuries": True})
    assert selfcare_lines(["a"], ["x", "y"], serious=True) == ["x", "y", "a"]
    assert selfcare_lines(["a"], ["x", "y"], serious=False) == ["a"]


# ------------------------------------------------------------------ grammar and register


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_role_name_is_glued_into_a_sentence_with_a_placeholder_particle(lang: str) -> None:
    """Korean 이(가)/을(를) and the like: whole sentences per role instead."""
    texts = list(load_ui_strings(lang).values())
    texts += [s.text for p in load_playbooks(lang) for s in p.steps]
    glued = [t for t in texts if any(m in t for m in ("(가)", "(를)", "(이)", "(을)", "(은)"))]
    assert not glued


def test_korean_does_not_address_staff_as_dangsin_or_drop_people() -> None:
    texts = list(load_ui_strings("ko").values())
    for playbook in load_playbooks("ko"):
        texts += [playbook.title, playbook.when_to_use, playbook.escalation.trigger or ""]
        texts += [t for s in playbook.steps for t in (s.text, *s.say)]
    for card in ("general_flow", "wait_manager", "wait_security", "self_care", "aftercare"):
        texts += load_card(card, "ko").lines
    assert not [t for t in texts if "당신" in t or "떨어뜨리" in t]


def test_latvian_addresses_staff_formally_and_without_gender() -> None:
    ui = load_ui_strings("lv")
    assert "Biju viens" not in ui["kiosk.wrapup.alone"]
    informal = ("Spied ", "izsauc ", "Tavs ", "Izvēlies", "Aizpildi ", "Pārbaudi ", "Pasaki ")
    assert not [t for t in ui.values() if any(word in t for word in informal)]


def test_finnish_and_japanese_review_fixes() -> None:
    apology = steps("poor_service", "fi")["apologise"].say[0]  # type: ignore[attr-defined]
    assert "ei olisi pitänyt" in apology
    assert "loukkauk" in steps("rude", "fi")["set_limit"].text  # type: ignore[attr-defined]
    goodbye = steps("talkative", "ja")["wrap_up"].say[0]  # type: ignore[attr-defined]
    assert "またのご来店をお待ちしております" in goodbye
    assert "係の者が参ります" in steps("intoxicated", "ja")["simple_words"].say[0]  # type: ignore[attr-defined]


# --------------------------------------------------------------------- the kiosk shows it


def test_the_kiosk_shows_the_whole_waiting_card_and_the_number() -> None:
    vm, sender, _ = demo_vm()
    vm.tap_escalate("security")
    deliver_all(vm, sender)
    assert vm.advice_lines == load_card("wait_security").lines  # all seven, in order
    assert vm.advice_number == "112"


def test_a_step_that_says_to_phone_carries_the_number_and_others_do_not() -> None:
    vm, _, _ = demo_vm()
    vm.choose("robbery")
    assert vm.step_number == ""
    for _ in range(3):
        vm.next_step()
    assert steps("robbery")["lock_call"].text == vm.step_text  # type: ignore[attr-defined]
    assert vm.step_number == "112"


def test_the_basics_card_opens_from_home_and_returns_home() -> None:
    vm, _, _ = demo_vm()
    vm.show_basics()
    assert vm.screen == "card" and vm.card_lines == load_card("general_flow").lines
    vm.go_home()
    assert vm.screen == "home"


def test_self_care_adds_aftercare_after_a_security_alert_and_only_then() -> None:
    vm, sender, _ = demo_vm()
    vm.choose("angry")
    vm.calmed()  # a near miss: the usual self-care card
    vm.wrapup.outcome = "resolved_on_spot"
    assert vm.save_wrapup() and not vm.aftercare
    assert vm.selfcare_lines == load_card("self_care").lines
    vm.finish_selfcare()

    vm.choose("threatening")
    vm.tap_escalate("security")
    deliver_all(vm, sender)
    vm.resolved_here()
    vm.wrapup.outcome = "security_removed"
    assert vm.save_wrapup() and vm.screen == "selfcare" and vm.aftercare
    after = load_card("aftercare")
    assert vm.selfcare_title == after.title
    assert vm.selfcare_lines == [*after.lines, *load_card("self_care").lines]
    vm.finish_selfcare()
    assert not vm.aftercare and vm.selfcare_lines == load_card("self_care").lines


def test_self_care_adds_aftercare_when_the_wrap_up_records_physical_contact() -> None:
    vm, _, _ = demo_vm()
    vm.choose("rude")
    vm.calmed()
    vm.wrapup.outcome = "customer_left"
    vm.wrapup.violence_type = "physical"
    assert vm.save_wrapup() and vm.aftercare
