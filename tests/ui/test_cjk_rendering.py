"""CalmDesk Sans renders Japanese, Korean and Latvian in a real Kivy window (not tofu boxes).

Run under Xvfb:
    xvfb-run -a -s "-screen 0 1280x800x24 +extension GLX" .venv/bin/python -m pytest tests/ui
Writes artifacts/screenshots/cjk_label.png for a human to look at.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# tests/conftest.py sets these too; repeated so this file also works when run on its own.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="calmdesk-kivy-"))
os.environ.setdefault("KIVY_NO_ARGS", "1")

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a display: run under xvfb-run (DISPLAY is not set)",
    ),
]

SCREENSHOT = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "cjk_label.png"
SAMPLE_CJK = "怒っているお客様화난고객警備責任者매니저보안"
NOT_IN_FONT = "\ue000"  # a private-use code point: renders as the .notdef box


@pytest.fixture(scope="module")
def kivy_text():
    """Kivy's window (needed for textures) with CalmDesk Sans registered."""
    from kivy.core.window import Window

    from shared.fonts import register_calmdesk_font

    register_calmdesk_font()
    from kivy.core.text import Label as CoreLabel

    return Window, CoreLabel


def render(core_label_class, text: str, font_name: str, bold: bool = False) -> bytes:
    """Pixels of ``text`` rendered at 40 px: the bytes a texture would upload."""
    label = core_label_class(text=text, font_name=font_name, font_size=40, bold=bold)
    label.refresh()
    texture = label.texture
    return bytes(texture.pixels) + repr(texture.size).encode()


def test_each_cjk_glyph_renders_as_its_own_shape(kivy_text) -> None:
    _, core_label = kivy_text
    tofu = render(core_label, NOT_IN_FONT, "CalmDeskSans")
    bitmaps = {char: render(core_label, char, "CalmDeskSans") for char in SAMPLE_CJK}
    assert len(set(bitmaps.values())) == len(set(SAMPLE_CJK)), "two glyphs render the same"
    assert [c for c, pixels in bitmaps.items() if pixels == tofu] == []


def test_roboto_would_show_tofu_so_the_check_is_meaningful(kivy_text) -> None:
    _, core_label = kivy_text
    assert render(core_label, "怒", "Roboto") == render(core_label, "객", "Roboto")
    assert render(core_label, "怒", "CalmDeskSans") != render(core_label, "怒", "Roboto")


def test_bold_differs_from_regular(kivy_text) -> None:
    _, core_label = kivy_text
    assert render(core_label, "警備", "CalmDeskSans") != render(
        core_label, "警備", "CalmDeskSans", bold=True
    )


def test_screenshot_of_cjk_labels(kivy_text) -> None:
    window, _ = kivy_text
    from kivy.base import EventLoop
    from kivy.graphics import Color, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    from shared.i18n import LANGUAGES, tr
    from shared.playbooks import get_playbook

    lines = []
    for lang in LANGUAGES[1:]:
        playbook = get_playbook("angry", lang)
        lines.append((f"{playbook.title} · {tr('nav.step_of', lang, n=2, total=7)}", True))
        lines.append((playbook.steps[1].text, False))
    lines.append(("● online · ○ On scene · ✓ Sent — ‹ Back · Next › · ★ ⚠ ×", False))

    box = BoxLayout(orientation="vertical", padding=16, spacing=4, size=(1200, 760))
    box.size_hint = (None, None)
    with box.canvas.before:
        Color(0.16, 0.20, 0.25, 1)  # the calm blue-grey of the kiosk
        Rectangle(pos=box.pos, size=box.size)
    for text, bold in lines:
        label = Label(
            text=text,
            font_name="CalmDeskSans",
            font_size=26,
            bold=bold,
            color=(0.95, 0.95, 0.92, 1),
            halign="left",
            valign="middle",
        )
        label.bind(size=lambda widget, size: setattr(widget, "text_size", size))
        box.add_widget(label)
    window.add_widget(box)
    try:
        for _ in range(3):
            EventLoop.idle()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        box.export_to_png(str(SCREENSHOT))
    finally:
        window.remove_widget(box)
    assert SCREENSHOT.stat().st_size > 20_000


def _rendered_lines(label) -> list[str]:  # type: ignore[no-untyped-def]
    label.texture_update()
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def test_japanese_lines_never_start_with_closing_punctuation(kivy_text) -> None:
    """Plain Kivy cuts a Japanese run wherever the width ends ("。" opening a line, or alone
    on one); CalmDesk's labels break by the kinsoku rules at every width."""
    from kivy.uix.label import Label

    from shared.playbooks import get_playbook
    from shared.ui.line_breaking import NO_LINE_START
    from shared.ui.widgets import WrapLabel

    text = get_playbook("angry", "ja").steps[1].text
    options = {"text": text, "font_name": "CalmDeskSans", "font_size": 30}
    plain_bad, ours_bad = [], []
    for width in range(200, 700, 10):
        plain = Label(**options, text_size=(width, None))
        ours = WrapLabel(**options, text_size=(width, None))
        plain_lines, our_lines = _rendered_lines(plain), _rendered_lines(ours)
        if any(line[:1] in NO_LINE_START for line in plain_lines[1:]):
            plain_bad.append(width)
        if any(line[:1] in NO_LINE_START for line in our_lines[1:]):
            ours_bad.append((width, our_lines))
        assert "".join(our_lines) == text
        assert max(ours._label.get_extents(line)[0] for line in our_lines) <= width
    assert plain_bad, "the sample no longer shows the problem; pick a longer text"
    assert ours_bad == []
