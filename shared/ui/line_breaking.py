"""Line breaking for Japanese and Chinese text, by phrases, with the basic kinsoku rules.

Kivy's text layout breaks lines only at spaces; a run of Japanese has none, so Kivy cuts it
wherever the width runs out and a line may start with "。" or "、", or a lone "。" may sit on a
line of its own. :func:`wrap` breaks such text itself: after spaces, and inside longer runs
between any two ideographs or kana, but never before closing punctuation or small kana, and
never after an opening bracket. Text in
other scripts (Korean included, which separates words with spaces) keeps breaking at spaces
only. Pure logic: the caller passes a ``measure`` function (pixels of a string).

Breaking between *any* two characters is legal but reads badly ("お客／様", "届きま／す。",
"情／報"): lines prefer to end between phrases, as found by BudouX's Japanese model (a small
pure-Python model, no network). Only a phrase wider than a whole line is cut inside, and
then by the kinsoku rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Measure = Callable[[str], float]
NBSP = "\u00a0"


def keep_together(text: str) -> str:
    """``text`` with no-break spaces, so a name ("Counter 1") or a phone number ("+1 212 555
    0100") never breaks across two lines ("Counter／1")."""
    return text.strip().replace(" ", NBSP)


SHORT_WORD = 6
"""A run of at most this many characters between spaces is kept whole, like a word: in
composed text such as "Alex · 責任者" a break inside "責任者" would strand one character."""

_SPACE_TOKEN = re.compile(r"[^ ]* +|[^ ]+")

NO_LINE_START = frozenset(
    "、。，．,.・：；:;？！?!‼⁇⁈⁉ー―‐–〜～…‥"
    "」』）］｝〕〉》】〙〗〟’”)]}"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "ゝゞヽヾ々〻"
)
"""Characters a line must not start with (closing punctuation, small kana, iteration marks)."""

NO_LINE_END = frozenset("「『（［｛〔〈《【〘〖〝‘“([{")
"""Characters a line must not end with (opening brackets and quotes)."""


def is_cjk(char: str) -> bool:
    """Ideographs, kana and CJK punctuation: scripts written without spaces between words."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK symbols and punctuation, hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= code <= 0xFF60  # full-width forms
        or 0x31F0 <= code <= 0x31FF  # small katakana extension
    )


def needs_cjk_breaking(text: str) -> bool:
    return any(is_cjk(char) for char in text)


def may_break_between(before: str, after: str) -> bool:
    """May a line end after ``before`` and the next start with ``after``?"""
    if after == " ":
        return False  # spaces stay at the end of the line they follow
    if before == " ":
        return True
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return is_cjk(before) or is_cjk(after)


def split_units(paragraph: str) -> list[str]:
    """The pieces a line may break between: after every space, and inside longer runs
    wherever :func:`may_break_between` allows."""
    units: list[str] = []
    for token in _SPACE_TOKEN.findall(paragraph):
        if len(token.rstrip(" ")) <= SHORT_WORD:
            units.append(token)
        else:
            units.extend(_split_run(token))
    return units


def _split_run(run: str) -> list[str]:
    units: list[str] = []
    current = ""
    for char in run:
        if current and may_break_between(current[-1], char):
            units.append(current)
            current = char
        else:
            current += char
    if current:
        units.append(current)
    return units


@lru_cache(maxsize=1)
def _japanese_parser():  # type: ignore[no-untyped-def]
    import budoux

    return budoux.load_default_japanese_parser()


def phrase_units(paragraph: str) -> list[str]:
    """The paragraph in phrases: space-separated words, and Japanese runs cut into phrases
    (BudouX). Joined, they give the paragraph back unchanged."""
    return list(_phrase_units(paragraph))


@lru_cache(maxsize=2048)
def _phrase_units(paragraph: str) -> tuple[str, ...]:
    """Cached: a label re-wraps its text on every resize and language switch."""
    units: list[str] = []
    for token in _SPACE_TOKEN.findall(paragraph):
        if len(token.rstrip(" ")) <= SHORT_WORD or not needs_cjk_breaking(token):
            units.append(token)
            continue
        phrases = [p for p in _japanese_parser().parse(token) if p]
        for phrase in phrases:  # kinsoku also between phrases: "。" never starts a unit
            if (
                units
                and units[-1]
                and not units[-1].endswith(" ")
                and (phrase[0] in NO_LINE_START or units[-1][-1] in NO_LINE_END)
            ):
                units[-1] += phrase
            else:
                units.append(phrase)
    return tuple(units)


def wrap_paragraph(paragraph: str, width: float, measure: Measure) -> list[str]:
    """Greedy filling by phrases: as many per line as fit. A phrase wider than a whole line
    is cut by the kinsoku rules; a unit that still does not fit keeps a line of its own (the
    toolkit then cuts it, as it would have anyway)."""
    units: list[str] = []
    for phrase in phrase_units(paragraph):
        if measure(phrase.rstrip()) > width and needs_cjk_breaking(phrase):
            units.extend(_split_run(phrase))
        else:
            units.append(phrase)
    lines: list[str] = []
    line = ""
    for unit in units:
        candidate = line + unit
        if not line or measure(candidate.rstrip()) <= width:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = unit
    lines.append(line.rstrip())
    return lines


def wrap(text: str, width: float, measure: Measure) -> str:
    """``text`` with explicit line breaks so that no line is wider than ``width``."""
    return "\n".join(
        line for paragraph in text.split("\n") for line in wrap_paragraph(paragraph, width, measure)
    )
