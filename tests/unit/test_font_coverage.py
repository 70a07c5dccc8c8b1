"""The bundled CalmDesk Sans has a glyph for every character any screen can show."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from shared.fonts import FONT_BOLD, FONT_LICENSE, FONT_NAME, FONT_REGULAR
from shared.i18n import CONTENT_DIR, LANGUAGE_NAMES

FONTS = [FONT_REGULAR, FONT_BOLD]
# Symbols the screen designs (../shared/UI.md) use around the translated texts.
UI_SYMBOLS = "—–·‹›✓○●…“”‘’„«»「」『』・、。！？（）：■□▲▶▼◀★⚠←→×"
REBUILD = "rebuild with `.venv/bin/python -m shared.fonts.build_subset`"


def strings_in(value: Any) -> Iterator[str]:
    """Every string value in parsed TOML (keys are ids, never shown)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def shown_characters() -> dict[str, set[Path]]:
    """{character: files it appears in} for all content texts and the language names."""
    found: dict[str, set[Path]] = {}
    for path in sorted(CONTENT_DIR.rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for text in strings_in(data):
            for char in text:
                found.setdefault(char, set()).add(path.relative_to(CONTENT_DIR))
    for name in LANGUAGE_NAMES.values():
        for char in name:
            found.setdefault(char, set()).add(Path("shared/i18n.py"))
    return {c: files for c, files in found.items() if not c.isspace()}


@pytest.fixture(scope="module", params=FONTS, ids=lambda p: p.stem)
def font(request: pytest.FixtureRequest) -> Iterator[TTFont]:
    loaded = TTFont(request.param)
    yield loaded
    loaded.close()


def test_font_files_are_bundled_and_small() -> None:
    for path in FONTS:
        assert path.is_file(), f"{path} missing: {REBUILD}"
        assert path.stat().st_size < 600 * 1024, f"{path.name} is larger than expected"
    assert FONT_LICENSE.is_file()
    assert "SIL OPEN FONT LICENSE Version 1.1" in FONT_LICENSE.read_text(encoding="utf-8")


def test_every_content_character_has_a_glyph(font: TTFont) -> None:
    cmap = font.getBestCmap()
    missing = {
        f"{char} U+{ord(char):04X}": sorted(str(f) for f in files)
        for char, files in shown_characters().items()
        if ord(char) not in cmap
    }
    assert not missing, f"no glyph in {font.reader.file.name} for {missing}; {REBUILD}"


def test_ui_symbols_have_glyphs(font: TTFont) -> None:
    cmap = font.getBestCmap()
    assert [c for c in UI_SYMBOLS if ord(c) not in cmap] == []


def test_latvian_and_finnish_letters_have_glyphs(font: TTFont) -> None:
    cmap = font.getBestCmap()
    letters = "āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽäöåÄÖÅ"
    assert [c for c in letters if ord(c) not in cmap] == []


def test_every_non_space_glyph_has_an_outline(font: TTFont) -> None:
    glyph_set = font.getGlyphSet()
    empty = []
    for codepoint, name in font.getBestCmap().items():
        if chr(codepoint).isspace() or codepoint == 0x00AD:
            continue
        pen = BoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        if pen.bounds is None:
            empty.append(f"U+{codepoint:04X}")
    assert not empty


def test_font_carries_its_own_name(font: TTFont) -> None:
    assert font["name"].getDebugName(1) == "CalmDesk Sans"
    assert font["name"].getDebugName(6).startswith(f"{FONT_NAME}-")
    assert "Open Font License" in font["name"].getDebugName(13)


def test_importing_the_font_module_does_not_import_kivy() -> None:
    code = "import sys, shared.fonts; print('kivy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "False"
