"""UI strings: every language has every English key, placeholders agree, fallback is loud."""

from __future__ import annotations

import logging
import string
from pathlib import Path
from typing import get_args

import pytest

from shared.i18n import (
    CONTENT_DIR,
    LANGUAGE_NAMES,
    LANGUAGES,
    ContentError,
    Translator,
    clear_caches,
    load_ui_strings,
    tr,
)

# Keys the kiosk and pager were promised (issue 3); others may add more.
REQUIRED_KEYS = [
    "status.online",
    "status.offline",
    "status.managers_on_duty",
    "status.security_on_duty",
    "escalate.manager",
    "escalate.security",
    "nav.back",
    "nav.next",
    "nav.calmed",
    "nav.step_of",
    "alert.security_requested",
    "alert.manager_requested",
    "alert.sent",
    "alert.not_delivered",
    "alert.on_the_way",
    "alert.on_scene",
    "alert.resolved",
    "alert.cancel_false_alarm",
    "alert.undo",
    "triage.title",
    "selfcare.prompt",
    "pager.on_duty",
    "pager.off_duty",
    "pager.acknowledge",
    "pager.on_scene",
    "pager.resolve",
    "pager.nobody_else",
    "pager.received_late",
    "pager.drill",
    "pager.active",
    "pager.today",
    "disguise.check_stock",
]
OUTCOMES = [
    "resolved_on_spot",
    "refund_discount_exchange",
    "handed_to_manager",
    "customer_left",
    "security_removed",
    "police_called",
]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.fixture
def ui_dir(tmp_path: Path) -> Path:
    """A small content folder: English and Japanese ui.toml, Japanese missing one key."""
    (tmp_path / "en").mkdir()
    (tmp_path / "ja").mkdir()
    (tmp_path / "en" / "ui.toml").write_text(
        '"top.flat" = "Flat"\n[nav]\nback = "Back"\nnext = "Next"\n'
        'step_of = "step {n} of {total}"\n',
        encoding="utf-8",
    )
    (tmp_path / "ja" / "ui.toml").write_text(
        '[nav]\nback = "戻る"\nstep_of = "ステップ {n}/{total}"\n', encoding="utf-8"
    )
    yield tmp_path
    clear_caches()


def test_languages_and_their_native_names() -> None:
    assert LANGUAGES == ("en", "ja", "ko", "lv", "fi", "es")
    assert dict(LANGUAGE_NAMES) == {
        "en": "English",
        "ja": "日本語",
        "ko": "한국어",
        "lv": "Latviešu",
        "fi": "Suomi",
        "es": "Español",
    }


def test_every_registered_language_has_its_content_files() -> None:
    """The registry is the one list: each entry needs both content files, and no folder is
    left out of the registry."""
    folders = {p.name for p in CONTENT_DIR.iterdir() if p.is_dir()}
    assert folders == set(LANGUAGES)
    for lang in LANGUAGES:
        assert (CONTENT_DIR / lang / "ui.toml").is_file()
        assert (CONTENT_DIR / lang / "playbooks.toml").is_file()


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_english_key_exists_in_every_language(lang: str) -> None:
    missing = sorted(load_ui_strings("en").keys() - load_ui_strings(lang).keys())
    assert not missing, f"{lang}/ui.toml lacks: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_no_language_has_keys_english_lacks(lang: str) -> None:
    extra = sorted(load_ui_strings(lang).keys() - load_ui_strings("en").keys())
    assert not extra, f"{lang}/ui.toml has keys English lacks (typo?): {extra}"


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_placeholders_match_english(lang: str) -> None:
    english = load_ui_strings("en")
    other = load_ui_strings(lang)
    wrong = {
        key: (placeholders(english[key]), placeholders(text))
        for key, text in other.items()
        if key in english and placeholders(text) != placeholders(english[key])
    }
    assert not wrong


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_promised_starter_keys_exist(lang: str) -> None:
    strings = load_ui_strings(lang)
    keys = [*REQUIRED_KEYS, *(f"outcome.{o}" for o in OUTCOMES)]
    assert [k for k in keys if k not in strings] == []


def test_wrapup_outcomes_match_the_protocol() -> None:
    from shared.protocol import Outcome

    assert sorted(get_args(Outcome)) == sorted(OUTCOMES)


def test_english_starter_strings_read_as_designed() -> None:
    assert tr("nav.step_of", "en", n=3, total=7) == "step 3 of 7"
    assert tr("status.managers_on_duty", "en", n=2) == "Managers on duty 2"
    assert tr("alert.not_delivered", "en", number="555-0100") == (
        "NOT DELIVERED — call for help out loud or by phone: 555-0100"
    )
    assert tr("alert.on_the_way", "en", name="Sam", role="security", t="00:09") == (
        "Sam (security) is on the way — acknowledged 00:09"
    )
    assert tr("pager.acknowledge", "en") == "ACKNOWLEDGE — ON MY WAY"
    assert tr("disguise.check_stock", "en") == "Check stock"
    assert tr("selfcare.prompt", "en") == "Are you OK? Take five minutes."


def test_translations_are_used() -> None:
    assert tr("nav.back", "ja") == "戻る"
    assert tr("escalate.security", "lv") == "APSARDZE"
    assert tr("nav.step_of", "fi", n=2, total=5) == "vaihe 2/5"


def test_flat_and_dotted_keys_both_work(ui_dir: Path) -> None:
    translator = Translator(ui_dir)
    assert translator.tr("top.flat", "en") == "Flat"
    assert translator.tr("nav.back", "en") == "Back"


def test_a_missing_key_falls_back_to_english_and_warns_once(
    ui_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    translator = Translator(ui_dir)
    with caplog.at_level(logging.WARNING, logger="shared.i18n"):
        assert translator.tr("nav.next", "ja") == "Next"
        assert translator.tr("nav.next", "ja") == "Next"
    warnings = [r for r in caplog.records if "nav.next" in r.getMessage()]
    assert len(warnings) == 1
    assert "ja" in warnings[0].getMessage()


def test_an_unknown_key_returns_the_key_and_warns(
    ui_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.i18n"):
        assert Translator(ui_dir).tr("nav.nope", "ja") == "nav.nope"
    assert "nav.nope" in caplog.text


def test_a_wrong_placeholder_never_raises(ui_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.i18n"):
        assert Translator(ui_dir).tr("nav.step_of", "en", n=1) == "step {n} of {total}"
    assert "cannot be formatted" in caplog.text


def test_an_unknown_language_falls_back_to_english(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="shared.i18n"):
        assert Translator().tr("nav.back", "xx") == "Back"
    assert "unknown language" in caplog.text


def test_a_broken_ui_file_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "ui.toml"
    path.write_text('[nav]\nback = "Back"\nnext = Next\n', encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_ui_strings("en", tmp_path)
    assert caught.value.file == path
    assert caught.value.field == "nav.next"
    assert "TOML" in caught.value.reason
    clear_caches()


def test_a_non_text_value_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "ui.toml").write_text("[nav]\nback = 3\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"nav\.back: expected text"):
        load_ui_strings("en", tmp_path)
    clear_caches()


def test_the_real_ui_files_live_next_to_the_playbooks() -> None:
    for lang in LANGUAGES:
        assert (CONTENT_DIR / lang / "ui.toml").is_file()
