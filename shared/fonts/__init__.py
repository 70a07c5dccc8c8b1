"""The bundled CJK-capable UI font, CalmDesk Sans (a subset of Noto Sans CJK JP, SIL OFL 1.1).

Kivy's default Roboto has no Japanese or Korean glyphs. Call ``register_calmdesk_font()``
once at app start, then use ``font_name: "CalmDeskSans"`` in kv (bold via ``bold: True``).
Rebuild the files with ``python -m shared.fonts.build_subset`` after editing content.
"""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
FONT_NAME = "CalmDeskSans"
FONT_REGULAR = FONT_DIR / "CalmDeskSans-Regular.otf"
FONT_BOLD = FONT_DIR / "CalmDeskSans-Bold.otf"
FONT_LICENSE = FONT_DIR / "LICENSE-OFL.txt"


def register_calmdesk_font(name: str = FONT_NAME) -> str:
    """Register CalmDesk Sans with Kivy's LabelBase under ``name``; returns the name."""
    from kivy.core.text import LabelBase

    LabelBase.register(
        name=name,
        fn_regular=str(FONT_REGULAR),
        fn_bold=str(FONT_BOLD),
    )
    return name
