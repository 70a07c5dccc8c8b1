"""The language registry is the one source: settings, CLI choices and buttons follow it."""

from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from kiosk import commands as kiosk_commands
from kiosk.settings import KioskSettings
from shared.languages import (
    CJK_LANGUAGES,
    LANGUAGE_LABELS,
    LANGUAGES,
    REGISTRY,
    UPPER_CASE_TITLES,
    check_language,
)
from staff_app import commands as pager_commands


def test_everything_derives_from_the_registry() -> None:
    assert LANGUAGES == tuple(language.code for language in REGISTRY)
    assert LANGUAGE_LABELS["es"] == "ES"
    assert CJK_LANGUAGES == {"ja", "ko"}
    assert UPPER_CASE_TITLES == set(LANGUAGES) - CJK_LANGUAGES


def test_kiosk_settings_accept_every_registered_language_and_nothing_else() -> None:
    for lang in LANGUAGES:
        assert KioskSettings(lang=lang).lang == lang
    with pytest.raises(ValidationError, match="unknown language 'de'"):
        KioskSettings(lang="de")
    with pytest.raises(ValueError, match="choose one of en, ja, ko, lv, fi, es"):
        check_language("xx")


@pytest.mark.parametrize("module", [kiosk_commands, pager_commands])
def test_the_lang_option_offers_the_registry(module: object) -> None:
    parser = argparse.ArgumentParser()
    module.add_parser(parser.add_subparsers())  # type: ignore[attr-defined]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    (command,) = sub.choices.values()
    lang = next(a for a in command._actions if a.dest == "lang")
    assert tuple(lang.choices) == LANGUAGES
