"""The console's colours: every text colour in console.css against the background it is
drawn on has a contrast ratio of at least 4.5:1 (WCAG 2.x AA for normal text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "console" / "static" / "console.css"
PAGE_BACKGROUND = "#ffffff"
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colour_pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every rule that sets a text colour. A rule that
    sets no background inherits the page's (or its header's, for header rules)."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    rules = {
        sel.strip(): body for sel, body in RULE.findall(text) if not sel.strip().startswith("@")
    }
    header_bg = re.search(r"background:\s*(#[0-9a-f]{6})", rules["header.top"]).group(1)  # type: ignore[union-attr]
    pairs = []
    for selector, body in rules.items():
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", body)
        if colour is None:
            continue
        background = re.search(r"background(?:-color)?:\s*(#[0-9a-f]{6})", body)
        inherited = header_bg if selector.startswith("header.top") else PAGE_BACKGROUND
        pairs.append((selector, colour.group(1), background.group(1) if background else inherited))
    return pairs


def test_the_stylesheet_sets_colours_with_hex_values_the_test_can_read() -> None:
    assert len(colour_pairs()) >= 15


@pytest.mark.parametrize(("selector", "fg", "bg"), colour_pairs())
def test_text_contrast_is_at_least_4_5(selector: str, fg: str, bg: str) -> None:
    assert contrast(fg, bg) >= 4.5, f"{selector}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_the_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
