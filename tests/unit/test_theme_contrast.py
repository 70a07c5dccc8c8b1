"""Every text colour of the theme reads on every background it is used on (WCAG 2.x)."""

from __future__ import annotations

import pytest

from shared.ui import theme
from shared.ui.contrast import LARGE_TEXT_MIN, NORMAL_TEXT_MIN, contrast_ratio


def test_contrast_formula_matches_known_values() -> None:
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast_ratio((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) == pytest.approx(1.0)
    # the red the first version used for warnings on the dark background: too weak
    assert contrast_ratio((0.835, 0.184, 0.184), theme.BG) < NORMAL_TEXT_MIN


DARK_PAIRS = [(bg, text) for bg, texts in theme.TEXT_BACKGROUNDS.items() for text in texts]


def test_every_dark_background_is_covered() -> None:
    assert set(theme.TEXT_BACKGROUNDS) == set(theme.DARK_BACKGROUNDS)


@pytest.mark.parametrize("bg_name,text_name", DARK_PAIRS)
def test_every_text_colour_reads_on_its_dark_backgrounds(bg_name: str, text_name: str) -> None:
    ratio = contrast_ratio(theme.TEXT_ON_DARK[text_name], theme.DARK_BACKGROUNDS[bg_name])
    assert ratio >= NORMAL_TEXT_MIN, f"{text_name} on {bg_name}: {ratio:.2f}:1"


@pytest.mark.parametrize("what,text,fill,large", theme.TEXT_ON_FILLS, ids=lambda v: str(v))
def test_text_on_coloured_fills_reads(what: str, text: tuple, fill: tuple, large: bool) -> None:
    ratio = contrast_ratio(text, fill)
    assert ratio >= (LARGE_TEXT_MIN if large else NORMAL_TEXT_MIN), f"{what}: {ratio:.2f}:1"


def test_state_colours_are_all_registered_text_colours() -> None:
    """A state colour not in the registry would escape the contrast check above."""
    registered = list(theme.TEXT_ON_DARK.values())
    assert all(colour in registered for colour in theme.STATE_COLOURS.values())
