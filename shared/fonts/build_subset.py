"""Build CalmDeskSans-Regular.otf and -Bold.otf: Noto Sans (Latin) + Noto Sans CJK JP, subset.

Kivy's default Roboto has no Japanese or Korean glyphs, and the kiosk tablets cannot install
fonts, so we ship one small font that covers every language we translate into:

- Latin letters and Latin punctuation from **Noto Sans** (Debian ``fonts-noto-core``). Noto
  Sans CJK lacks most of Latin Extended-A, including the Latvian č ģ ķ ļ ņ š ž, so Latin
  comes from one design (mixing two would put an odd-sized š next to a plain s).
- Everything else (kana, kanji, hangul, CJK punctuation, UI symbols such as ● ○ ✓ ⚠) from
  **Noto Sans CJK JP** (Debian ``fonts-noto-cjk``: the JP face, index 0 of the .ttc; its
  default forms suit Japanese kanji and it covers hangul the same as the KR face).

Both are SIL OFL 1.1; the result is a Modified Version under the same licence with its own
name. The glyphs kept are every character in ``shared/content`` (and the language names)
plus fixed base ranges, so small edits rarely need a rebuild; the coverage test says when.
Outlines are redrawn into a fresh, name-keyed CFF font (hints and OpenType layout are not
kept: Kivy's SDL2 text renderer does not shape with them).

Run from the repository root (after ``apt-get install fonts-noto-core fonts-noto-cjk``):

    .venv/bin/python -m shared.fonts.build_subset

Deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.roundingPen import RoundingPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont

from shared.i18n import CONTENT_DIR, LANGUAGE_NAMES

FONT_DIR = Path(__file__).resolve().parent
LATIN_DIR = Path("/usr/share/fonts/truetype/noto")
CJK_DIR = Path("/usr/share/fonts/opentype/noto")
CJK_FACE = "Noto Sans CJK JP"
FAMILY = "CalmDesk Sans"
PS_FAMILY = "CalmDeskSans"
VERSION = "1.000"
STYLES = {
    # style: (Latin source, CJK collection, OS/2 weight class)
    "Regular": ("NotoSans-Regular.ttf", "NotoSansCJK-Regular.ttc", 400),
    "Bold": ("NotoSans-Bold.ttf", "NotoSansCJK-Bold.ttc", 700),
}

# Taken from the Latin font when it has them (inclusive ranges).
LATIN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A: Latvian ā č ē ģ ī ķ ļ ņ š ū ž
    (0x2010, 0x2027),  # dashes, quotes, bullet, ellipsis
    (0x2030, 0x203A),  # per mille, primes, single angle quotes ‹ ›
    (0x20AC, 0x20AC),  # euro sign
)
# Kept from the CJK font whether or not today's texts use them.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3000, 0x303F),  # CJK symbols and punctuation 、。「」〇
    (0x3041, 0x3096),  # hiragana
    (0x3099, 0x309F),  # kana voicing marks, iteration marks
    (0x30A0, 0x30FF),  # katakana (incl. ・ ー)
    (0xFF01, 0xFF5E),  # full-width ASCII forms ！？（）：
)
# Symbols the screens use or may use (status dots, ticks, arrows); kept if a source has them.
UI_SYMBOLS = "№™←↑→↓○●■□▲△▶▼◀◆◇★☆✓✔✕✖✗✘⚠⏱⌛"


def _expand(ranges: Iterable[tuple[int, int]]) -> set[int]:
    return {cp for start, end in ranges for cp in range(start, end + 1)}


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def content_characters(content_dir: Path = CONTENT_DIR) -> set[str]:
    """Every character of every text value in the content files, plus the language names."""
    chars: set[str] = set()
    for path in sorted(content_dir.rglob("*.toml")):
        for text in _strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            chars.update(text)
    for name in LANGUAGE_NAMES.values():
        chars.update(name)
    return {c for c in chars if c.isprintable() or c == "\u3000"}


def _open_cjk(path: Path) -> TTFont:
    for index in range(10):
        font = TTFont(path, fontNumber=index, lazy=True)
        if font["name"].getDebugName(1) == CJK_FACE:
            return font
        font.close()
    sys.exit(f"{path}: no face named {CJK_FACE!r}")


def _open_sources(style: str) -> tuple[TTFont, TTFont]:
    latin_file, cjk_file, _ = STYLES[style]
    for path, package in (
        (LATIN_DIR / latin_file, "fonts-noto-core"),
        (CJK_DIR / cjk_file, "fonts-noto-cjk"),
    ):
        if not path.exists():
            sys.exit(f"{path} not found: install it with `apt-get install {package}`")
    return TTFont(LATIN_DIR / latin_file), _open_cjk(CJK_DIR / cjk_file)


def _draw(font: TTFont, glyph_name: str) -> tuple[object, tuple[int, int]]:
    """Redraw one glyph as a Type 2 charstring with integer coordinates; (advance, lsb)."""
    glyph_set = font.getGlyphSet()
    width = font["hmtx"][glyph_name][0]
    pen = T2CharStringPen(width, glyph_set)
    bounds = BoundsPen(glyph_set)
    glyph_set[glyph_name].draw(RoundingPen(pen))
    glyph_set[glyph_name].draw(RoundingPen(bounds))
    return pen.getCharString(), (width, int(bounds.bounds[0]) if bounds.bounds else 0)


def build(style: str, needed: set[int], out_dir: Path) -> tuple[Path, set[int]]:
    """Write one style; returns its path and the code points no source could supply."""
    latin, cjk = _open_sources(style)
    latin_cmap, cjk_cmap = latin.getBestCmap(), cjk.getBestCmap()
    latin_wanted = _expand(LATIN_RANGES)
    wanted = sorted(needed | latin_wanted | _expand(CJK_RANGES) | {ord(c) for c in UI_SYMBOLS})

    charstrings, hmtx, cmap = {}, {}, {}
    charstrings[".notdef"], hmtx[".notdef"] = _draw(cjk, ".notdef")
    missing: set[int] = set()
    for cp in wanted:
        if cp in latin_wanted and cp in latin_cmap:
            source, glyph = latin, latin_cmap[cp]
        elif cp in cjk_cmap:
            source, glyph = cjk, cjk_cmap[cp]
        elif cp in latin_cmap:
            source, glyph = latin, latin_cmap[cp]
        else:
            missing.add(cp)
            continue
        name = f"uni{cp:04X}" if cp <= 0xFFFF else f"u{cp:05X}"
        charstrings[name], hmtx[name] = _draw(source, glyph)
        cmap[cp] = name

    glyph_order = list(charstrings)

    ps_name = f"{PS_FAMILY}-{style}"
    copyright_ = f"{cjk['name'].getDebugName(0)} {latin['name'].getDebugName(0)}"
    fb = FontBuilder(unitsPerEm=1000, isTTF=False)
    fb.setupGlyphOrder(glyph_order)
    fb.setupCharacterMap(cmap)
    fb.setupCFF(
        ps_name,
        {
            "FullName": f"{FAMILY} {style}",
            "FamilyName": FAMILY,
            "Weight": style,
            "version": VERSION,
            "Notice": copyright_,
        },
        charstrings,
        {},
    )
    fb.setupHorizontalMetrics(hmtx)
    cjk_hhea, cjk_os2 = cjk["hhea"], cjk["OS/2"]
    fb.setupHorizontalHeader(ascent=cjk_hhea.ascent, descent=cjk_hhea.descent, lineGap=0)
    fb.setupNameTable(
        {
            "copyright": copyright_,
            "familyName": FAMILY,
            "styleName": style,
            "uniqueFontIdentifier": f"{ps_name} {VERSION}; Noto Sans + {CJK_FACE}, subset",
            "fullName": f"{FAMILY} {style}",
            "version": f"Version {VERSION}",
            "psName": ps_name,
            "licenseDescription": "This Font Software is licensed under the SIL Open Font "
            "License, Version 1.1. See LICENSE-OFL.txt.",
            "licenseInfoURL": "https://openfontlicense.org",
        },
        mac=False,
    )
    fb.setupOS2(
        usWeightClass=STYLES[style][2],
        fsSelection=0x20 if style == "Bold" else 0x40,  # BOLD / REGULAR
        sTypoAscender=cjk_os2.sTypoAscender,
        sTypoDescender=cjk_os2.sTypoDescender,
        sTypoLineGap=cjk_os2.sTypoLineGap,
        usWinAscent=cjk_os2.usWinAscent,
        usWinDescent=cjk_os2.usWinDescent,
        sxHeight=latin["OS/2"].sxHeight,
        sCapHeight=latin["OS/2"].sCapHeight,
        achVendID="NONE",
        fsType=0,  # installable embedding, as the OFL sources
    )
    fb.setupPost()
    fb.font["head"].macStyle = 0x01 if style == "Bold" else 0x00
    # Fixed timestamps keep rebuilds byte-identical (1 Jan 2025, seconds since 1904).
    fb.font["head"].created = fb.font["head"].modified = 3818448000
    out = out_dir / f"{ps_name}.otf"
    fb.font.recalcTimestamp = False
    fb.save(out)
    latin.close()
    cjk.close()
    return out, missing


def main(argv: list[str] | None = None) -> int:
    """Build both styles; fail if a character the content uses has no glyph anywhere."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FONT_DIR, help="output folder")
    args = parser.parse_args(argv)
    needed = {ord(c) for c in content_characters()}
    status = 0
    for style in STYLES:
        out, missing = build(style, needed, args.out)
        print(f"{out.name}: {out.stat().st_size // 1024} KB")
        optional = sorted(missing - needed)
        if optional:
            print("  not in either source (skipped): " + " ".join(f"U+{cp:04X}" for cp in optional))
        if lacking := sorted(missing & needed):
            status = 1
            chars = " ".join(f"{chr(cp)} U+{cp:04X}" for cp in lacking)
            print(f"  ERROR: the content uses characters no source has: {chars}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
