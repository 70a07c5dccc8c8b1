"""Kinsoku line breaking, with a fixed-width measure: every character is 10 px wide."""

from __future__ import annotations

import pytest

from shared.ui.line_breaking import NO_LINE_END, NO_LINE_START, split_units, wrap


def monospace(text: str) -> float:
    return 10.0 * len(text)


JA = "最後まで話してもらいましょう。訂正したくても口を挟まず、うなずいて聞く姿勢を示してください。"


@pytest.mark.parametrize("width", range(30, 400, 10))
def test_japanese_lines_obey_kinsoku_and_fit(width: int) -> None:
    lines = wrap(JA, width, monospace).split("\n")
    assert "".join(lines) == JA  # nothing lost or added
    assert all(monospace(line) <= width for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines)
    assert not any(line[-1] in NO_LINE_END for line in lines)


def test_naive_cutting_would_start_a_line_with_a_full_stop() -> None:
    """At 140 px a plain cut puts the 15th character, "。", at the start of line 2; breaking
    by phrases ends line 1 between two phrases and keeps "もらいましょう。" whole."""
    naive = [JA[i : i + 14] for i in range(0, len(JA), 14)]
    assert naive[1].startswith("。")
    lines = wrap(JA, 140, monospace).split("\n")
    assert lines[0] == "最後まで話して"
    assert lines[1].startswith("もらいましょう。")


@pytest.mark.parametrize(
    "text,word",
    [
        ("係の者がすぐにお客様のところへ参ります。", "お客様"),
        ("ご注文の品は明日までに届きます。", "届きます。"),
        ("お客様の個人情報は記録しないでください。", "情報"),
    ],
)
def test_japanese_words_are_not_cut_in_the_middle(text: str, word: str) -> None:
    """The breaks the review found ("お客／様", "届きま／す。", "情／報") never happen at
    any width where the word itself fits on a line."""
    for width in range(10 * len(word), 10 * len(text), 10):
        lines = wrap(text, width, monospace).split("\n")
        assert "".join(lines) == text
        assert any(word in line for line in lines), (width, lines)


def test_a_phrase_longer_than_the_line_is_still_cut_by_kinsoku() -> None:
    lines = wrap("もらいましょう。", 40, monospace).split("\n")
    assert all(monospace(line) <= 40 for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines)


def test_brackets_stay_with_what_they_enclose() -> None:
    text = "店長に「すぐ来てください」と伝える"
    units = split_units(text)
    assert "に「す" in "".join(units) and any(unit.endswith("「す") for unit in units)
    assert any(unit.startswith("い」") for unit in units)
    for width in range(30, 200, 10):
        lines = wrap(text, width, monospace).split("\n")
        assert not any(line.endswith("「") or line.startswith("」") for line in lines)


def test_small_kana_and_long_vowel_mark_never_start_a_line() -> None:
    text = "セキュリティーチェックをしてください"
    for width in range(20, 200, 10):
        lines = wrap(text, width, monospace).split("\n")
        assert not any(line[0] in "ュィーッ" for line in lines), lines


def test_latin_and_korean_break_only_at_spaces() -> None:
    korean = "고객의 말을 끝까지 들어 주세요"
    assert wrap(korean, 90, monospace).split("\n") == ["고객의 말을", "끝까지 들어", "주세요"]
    assert wrap("Call 112 now", 60, monospace).split("\n") == ["Call", "112", "now"]


def test_mixed_text_keeps_latin_words_whole() -> None:
    text = "緊急時は112に電話してください"
    for width in range(30, 200, 10):
        lines = wrap(text, width, monospace).split("\n")
        assert "112" in "".join(lines) and not any(
            line.endswith("1") or line.startswith("2") for line in lines
        )


def test_explicit_newlines_are_kept() -> None:
    assert wrap("はい。\nいいえ。", 400, monospace) == "はい。\nいいえ。"


def test_short_runs_between_spaces_stay_whole() -> None:
    """A name and role on a narrow pager header: the role moves down whole."""
    assert wrap("Alex · 責任者", 70, monospace).split("\n") == ["Alex ·", "責任者"]
    assert wrap("7 段階中 5 まで実施", 60, monospace).split("\n") == ["7 段階中", "5 まで実施"]
