"""Playbook content and loader: structure shared by all languages, validation, triage, CLI."""

from __future__ import annotations

import argparse
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.i18n import CJK_LANGUAGES, CONTENT_DIR, LANGUAGES, ContentError
from shared.playbooks import (
    EscalationRule,
    Step,
    avoid_classics,
    card_ids,
    clear_cache,
    commands,
    get_playbook,
    load_avoid_phrases,
    load_card,
    load_playbooks,
    load_triage,
    loader,
    route_triage,
    situation_ids,
    validate_all,
)

SITUATIONS = [
    "angry",
    "poor_service",
    "indecisive",
    "demanding",
    "rude",
    "talkative",
    "threatening",
    "robbery",
    "theft",
    "intoxicated",
    "unwell",
    "wants_senior",
]
CARDS = ["general_flow", "wait_manager", "wait_security", "self_care", "aftercare"]
TRIAGE = ["weapon_or_robbery", "physical", "threat", "hurt_or_unwell", "intoxicated"]
CLASSICS = {"calm_down", "our_policy", "no_reason_upset", "yes_but"}
SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"

MAX_WORDS = 25  # a step is read in one glance; ~20 is the target
MAX_CJK_CHARS = 60


def length(text: str, lang: str) -> int:
    """Words for alphabetic languages; non-space characters for Japanese and Korean."""
    if lang in CJK_LANGUAGES:
        return len("".join(text.split()))
    return len(text.split())


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of shared/content that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    yield target
    clear_cache()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ------------------------------------------------------------------ content shape


def test_all_content_files_validate() -> None:
    validate_all()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_the_twelve_situations_in_order(lang: str) -> None:
    assert [p.id for p in load_playbooks(lang)] == SITUATIONS
    assert list(situation_ids()) == SITUATIONS


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_language_has_the_same_step_structure_as_english(lang: str) -> None:
    for english, other in zip(load_playbooks("en"), load_playbooks(lang), strict=True):
        assert other.risk == english.risk
        assert other.escalation.role == english.escalation.role
        assert other.escalation.when == english.escalation.when
        assert other.escalation.limit_minutes == english.escalation.limit_minutes
        shape = [(s.id, len(s.say), len(s.avoid)) for s in english.steps]
        assert [(s.id, len(s.say), len(s.avoid)) for s in other.steps] == shape, other.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_is_non_empty(lang: str) -> None:
    for playbook in load_playbooks(lang):
        assert playbook.title.strip() and playbook.when_to_use.strip()
        for step in playbook.steps:
            assert step.text.strip(), (playbook.id, step.id)
            assert all(p.strip() for p in [*step.say, *step.avoid]), (playbook.id, step.id)
    for card_id in CARDS:
        card = load_card(card_id, lang)
        assert card.title.strip() and all(line.strip() for line in card.lines)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_steps_and_phrases_are_short_enough_to_read_at_a_glance(lang: str) -> None:
    limit = MAX_CJK_CHARS if lang in CJK_LANGUAGES else MAX_WORDS
    too_long = [
        (playbook.id, step.id, length(text, lang), text)
        for playbook in load_playbooks(lang)
        for step in playbook.steps
        for text in (step.text, *step.say)
        if length(text, lang) > limit
    ]
    assert not too_long


@pytest.mark.parametrize("lang", LANGUAGES)
def test_titles_fit_a_tile(lang: str) -> None:
    for playbook in load_playbooks(lang):
        if lang in CJK_LANGUAGES:
            assert length(playbook.title, lang) <= 10, playbook.title
        else:
            assert 1 <= len(playbook.title.split()) <= 3, playbook.title
            assert len(playbook.title) <= 20, playbook.title


def test_every_situation_has_four_to_ten_steps() -> None:
    for playbook in load_playbooks("en"):
        assert 4 <= len(playbook.steps) <= 10, playbook.id


def test_step_ids_are_unique_within_each_situation() -> None:
    for playbook in load_playbooks("en"):
        ids = [s.id for s in playbook.steps]
        assert len(ids) == len(set(ids)), playbook.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_all_five_cards_exist_with_the_same_lines(lang: str) -> None:
    assert list(card_ids()) == CARDS
    for card_id in CARDS:
        assert len(load_card(card_id, lang).lines) == len(load_card(card_id, "en").lines)


def test_general_flow_covers_the_shared_steps_in_order() -> None:
    lines = load_card("general_flow", "en").lines
    expected = [
        "calm",
        "interrupt",
        "understand",
        "not for how they feel",
        "real cause",
        "realistic time",
        "only what you can deliver",
        "anything else",
        "positive",
        "follow up",
        "escalate",
    ]
    assert len(lines) == len(expected)
    for line, fragment in zip(lines, expected, strict=True):
        assert fragment.lower() in line.lower(), (fragment, line)


def test_seed_sentences_are_not_copied() -> None:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS_DIR}")
    seeds = " ".join(p.read_text(encoding="utf-8") for p in SEEDS_DIR.glob("*.txt"))
    seeds = re.sub(r"\s+", " ", seeds).lower()
    copied = []
    for lang in LANGUAGES:
        texts = [t for p in load_playbooks(lang) for s in p.steps for t in (s.text, *s.say)]
        texts += [line for c in CARDS for line in load_card(c, lang).lines]
        for text in texts:
            chunk = text.rstrip("。.!?！？").lower()
            min_len = 10 if lang in CJK_LANGUAGES else 24
            if len(chunk) >= min_len and chunk in seeds:
                copied.append((lang, text))
    assert not copied


# --------------------------------------------------------------------- escalation


@pytest.mark.parametrize("situation", ["threatening", "intoxicated"])
def test_threats_and_intoxication_call_security_immediately(situation: str) -> None:
    for lang in LANGUAGES:
        rule = get_playbook(situation, lang).escalation
        assert (rule.role, rule.when) == ("security", "immediately")
        assert get_playbook(situation, lang).risk == "high"


def test_a_customer_wanting_someone_senior_gets_a_manager() -> None:
    rule = get_playbook("wants_senior").escalation
    assert (rule.role, rule.when) == ("manager", "immediately")


def test_on_limit_rules_get_the_default_limit_and_on_trigger_rules_a_text() -> None:
    structure = tomllib.loads((CONTENT_DIR / "structure.toml").read_text(encoding="utf-8"))
    default = structure["defaults"]["limit_minutes"]
    for lang in LANGUAGES:
        for playbook in load_playbooks(lang):
            rule = playbook.escalation
            if rule.when == "on_limit":
                assert rule.limit_minutes == default
            if rule.when == "on_trigger":
                assert rule.trigger and rule.trigger.strip()
            else:
                assert rule.trigger is None


def test_escalation_rule_rejects_inconsistent_fields() -> None:
    with pytest.raises(ValidationError, match="trigger"):
        EscalationRule(role="manager", when="on_trigger")
    with pytest.raises(ValidationError, match="limit_minutes"):
        EscalationRule(role="manager", when="on_limit")
    with pytest.raises(ValidationError, match="none"):
        EscalationRule(role="none", when="immediately")
    with pytest.raises(ValidationError, match="needs 'when'"):
        EscalationRule(role="security")


def test_models_forbid_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Step(id="x", text="Breathe.", colour="red")


# ------------------------------------------------------------------------- triage


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"weapon_or_robbery": True}, "security"),
        ({"physical": True}, "security"),
        ({"threat": True}, "security"),
        ({"intoxicated": True}, "security"),
        ({"hurt_or_unwell": True}, "manager"),
        ({"wants_senior": True}, "manager"),
        ({"physical": True, "wants_senior": True}, "security"),
        ({"hurt_or_unwell": True, "physical": True}, "security"),
        (dict.fromkeys(TRIAGE, False), None),
        ({}, None),
    ],
)
def test_triage_routes_answers_to_the_right_role(answers: dict, expected: str | None) -> None:
    assert route_triage(answers) == expected


def test_triage_routes_the_wants_senior_situation_to_a_manager() -> None:
    assert route_triage({}, situation="wants_senior") == "manager"
    assert route_triage({"intoxicated": True}, situation="wants_senior") == "security"
    assert route_triage({}, situation="angry") is None


def test_triage_rejects_unknown_answers_instead_of_guessing() -> None:
    with pytest.raises(ValueError, match="dangr"):
        route_triage({"dangr": True})


def test_triage_routing_is_read_from_the_data(content_copy: Path) -> None:
    edit(
        content_copy / "structure.toml",
        '{ id = "intoxicated", route_on_yes = "security", opens = "intoxicated" }',
        '{ id = "intoxicated", route_on_yes = "manager", opens = "intoxicated" }',
    )
    assert route_triage({"intoxicated": True}, content_dir=content_copy) == "manager"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_triage_questions_exist_in_every_language(lang: str) -> None:
    questions = load_triage(lang)
    assert [q.id for q in questions] == TRIAGE
    assert [(q.route_on_yes, q.opens) for q in questions] == [
        ("security", "robbery"),
        ("security", "threatening"),
        ("security", "threatening"),
        ("manager", "unwell"),
        ("security", "intoxicated"),
    ]
    assert all(q.text.strip() for q in questions)


# ------------------------------------------------------------------- avoid phrases


def test_the_classic_phrases_are_marked_in_structure() -> None:
    assert set(avoid_classics()) == CLASSICS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_warns_against_the_classic_phrases(lang: str) -> None:
    phrases = load_avoid_phrases(lang)
    shown = {p for playbook in load_playbooks(lang) for s in playbook.steps for p in s.avoid}
    for classic in CLASSICS:
        assert phrases.get(classic, "").strip(), f"{lang}: missing avoid phrase {classic}"
        assert phrases[classic] in shown, f"{lang}: {classic} is on no step"


def test_english_classics_say_what_they_should() -> None:
    phrases = load_avoid_phrases("en")
    assert "calm down" in phrases["calm_down"].lower()
    assert "policy" in phrases["our_policy"].lower()
    assert "no reason to be upset" in phrases["no_reason_upset"].lower()
    assert phrases["yes_but"].lower().startswith("yes, but")


# --------------------------------------------------------------- broken files fail


def test_a_toml_syntax_error_names_file_field_and_reason(content_copy: Path) -> None:
    path = content_copy / "ja" / "playbooks.toml"
    edit(path, 'text = "ゆっくり息を吐いてください。', "text = ゆっくり息を吐いてください。")
    with pytest.raises(ContentError) as caught:
        load_playbooks("ja", content_dir=content_copy)
    error = caught.value
    assert error.file == path
    assert error.field == "situations.angry.steps.breathe.text"
    assert "TOML" in error.reason
    assert str(path) in str(error) and error.field in str(error)


def test_a_missing_step_text_names_the_step(content_copy: Path) -> None:
    path = content_copy / "lv" / "playbooks.toml"
    edit(path, "[situations.rude.steps.record]\n", "[situations.rude.steps.recor]\n")
    with pytest.raises(ContentError) as caught:
        load_playbooks("lv", content_dir=content_copy)
    assert caught.value.file == path
    assert caught.value.field == "situations.rude.steps.record"
    assert "missing" in caught.value.reason


def test_an_unknown_field_is_refused(content_copy: Path) -> None:
    path = content_copy / "fi" / "playbooks.toml"
    edit(path, 'title = "Vihainen asiakas"\n', 'title = "Vihainen asiakas"\ncolour = "red"\n')
    with pytest.raises(ContentError) as caught:
        load_playbooks("fi", content_dir=content_copy)
    assert caught.value.field == "situations.angry.colour"
    assert "unknown field" in caught.value.reason


def test_an_empty_text_is_refused(content_copy: Path) -> None:
    path = content_copy / "ko" / "playbooks.toml"
    edit(path, 'title = "화난 고객"', 'title = "  "')
    with pytest.raises(ContentError) as caught:
        load_playbooks("ko", content_dir=content_copy)
    assert caught.value.field == "situations.angry.title"
    assert "at least 1 character" in caught.value.reason


def test_a_wrong_number_of_say_phrases_is_refused(content_copy: Path) -> None:
    path = content_copy / "en" / "playbooks.toml"
    edit(
        path,
        'say = ["Of course. I\'ll get my manager for you."]',
        'say = ["Of course.", "I\'ll get my manager."]',
    )
    with pytest.raises(ContentError) as caught:
        load_playbooks("en", content_dir=content_copy)
    assert caught.value.field == "situations.wants_senior.steps.agree.say"
    assert "declares 1" in caught.value.reason


def test_a_missing_trigger_text_is_refused(content_copy: Path) -> None:
    path = content_copy / "en" / "playbooks.toml"
    edit(path, 'trigger = "They insist on something you are not allowed to approve."\n', "")
    with pytest.raises(ContentError) as caught:
        load_playbooks("en", content_dir=content_copy)
    assert caught.value.field == "situations.demanding.trigger"


def test_a_bad_structure_value_names_the_situation(content_copy: Path) -> None:
    path = content_copy / "structure.toml"
    edit(path, 'id = "talkative"\nrisk = "low"', 'id = "talkative"\nrisk = "extreme"')
    with pytest.raises(ContentError) as caught:
        load_playbooks("en", content_dir=content_copy)
    assert caught.value.file == path
    assert caught.value.field == "situations[talkative].risk"
    assert "'low', 'medium' or 'high'" in caught.value.reason


def test_an_unknown_avoid_id_in_structure_is_refused(content_copy: Path) -> None:
    path = content_copy / "structure.toml"
    edit(path, '{ id = "warm", avoid = ["no_time"] }', '{ id = "warm", avoid = ["no_tim"] }')
    with pytest.raises(ContentError) as caught:
        load_playbooks("en", content_dir=content_copy)
    assert caught.value.field == "situations[talkative].steps[warm].avoid"
    assert "no_tim" in caught.value.reason


def test_a_missing_file_is_named(content_copy: Path) -> None:
    (content_copy / "lv" / "playbooks.toml").unlink()
    with pytest.raises(ContentError, match=r"lv/playbooks\.toml.*file not found"):
        load_playbooks("lv", content_dir=content_copy)


# ---------------------------------------------------------------------- loader API


def test_unknown_ids_and_languages_are_refused_clearly() -> None:
    with pytest.raises(KeyError, match="angry"):
        get_playbook("furious")
    with pytest.raises(KeyError, match="general_flow"):
        load_card("nope")
    with pytest.raises(ValueError, match="unknown language"):
        load_playbooks("de")


def test_loads_are_cached() -> None:
    load_playbooks("ja")
    hits = loader._bundle.cache_info().hits
    assert load_playbooks("ja") == load_playbooks("ja")
    assert loader._bundle.cache_info().hits >= hits + 2


def test_callers_cannot_reorder_the_cached_list() -> None:
    first = load_playbooks("en")
    first.reverse()
    assert load_playbooks("en")[0].id == "angry"


# ----------------------------------------------------------------------------- CLI


def test_cli_list_shows_every_situation_and_card(capsys: pytest.CaptureFixture[str]) -> None:
    assert commands.main(["list"]) == 0
    out = capsys.readouterr().out
    for item in [*SITUATIONS, *CARDS]:
        assert item in out
    assert "Call security now." in out


def test_cli_show_prints_numbered_steps_with_say_and_avoid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert commands.main(["show", "angry", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ANGRY CUSTOMER\n")
    assert " 1. Breathe out slowly." in out
    assert "Say:" in out and "Avoid: “Yes, but…”  “Calm down.”" in out
    assert "Escalation: Call a manager if it passes your limit (10 min)" in out


def test_cli_show_accepts_cards_and_other_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert commands.main(["show", "wait_security", "--lang", "ja"]) == 0
    assert "警備を待つ間" in capsys.readouterr().out


def test_cli_show_rejects_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert commands.main(["show", "furious"]) == 2
    assert "angry" in capsys.readouterr().err


def test_cli_plugs_into_a_parent_parser(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="calmdesk")
    commands.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["playbook", "check"])
    assert args.func(args) == 0
    assert "content OK" in capsys.readouterr().out
