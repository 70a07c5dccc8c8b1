"""Colours, metrics and fonts for CalmDesk screens (see the handbook's UI.md).

Calm palette for guidance (deep blue-grey, off-white text); warm amber for Manager; strong red
only for Security and for NOT DELIVERED. Colour is never the only signal: every state also has
a word and an icon. Sizes are in dp (targets) and sp (text); :func:`dp`/:func:`sp` are applied
in the .kv files, so this module stays importable without Kivy.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

FONT_NAME = "CalmDeskSans"

# Colours (RGBA, 0..1) ------------------------------------------------------------------
BG = (0.133, 0.161, 0.204, 1)  # deep blue-grey
SURFACE = (0.184, 0.216, 0.267, 1)
SURFACE_HI = (0.243, 0.282, 0.341, 1)
STRIP = (0.102, 0.122, 0.157, 1)
TEXT = (0.957, 0.949, 0.925, 1)  # off-white
TEXT_MUTED = (0.760, 0.780, 0.820, 1)
ACCENT = (0.478, 0.667, 0.800, 1)  # calm blue for navigation
OK = (0.475, 0.765, 0.533, 1)
AMBER = (0.914, 0.627, 0.180, 1)  # Manager
AMBER_DARK = (0.420, 0.275, 0.039, 1)
RED = (0.776, 0.157, 0.157, 1)  # Security and NOT DELIVERED only (a fill: white text on it)
RED_DARK = (0.420, 0.063, 0.063, 1)
RED_FLASH = (0.560, 0.090, 0.090, 1)  # the pager band's other phase while it flashes
RED_TEXT = (1.0, 0.540, 0.500, 1)  # red *text* on the dark backgrounds (RED itself is 3:1)
AMBER_FLASH = (0.992, 0.808, 0.376, 1)
ON_AMBER = (0.10, 0.08, 0.03, 1)  # text on amber fills
ON_OK = (0.04, 0.12, 0.07, 1)  # text on green fills
DRILL = (0.400, 0.320, 0.620, 1)  # a fill: white text on it
DOT_SHADES = {  # the disguised control's agreed sign: one small dot, slightly changing shade
    "idle": (0.45, 0.49, 0.55, 1),
    "queued": (0.60, 0.62, 0.66, 1),
    "delivered": (0.72, 0.74, 0.78, 1),
    "answered": (0.86, 0.88, 0.90, 1),
    "alarm": (0.60, 0.62, 0.66, 1),  # same as queued: a silent alert never turns red
}
STATE_COLOURS = {"done": OK, "waiting": TEXT_MUTED, "alarm": RED_TEXT, "info": TEXT_MUTED}
RISK_CHIPS = {  # (fill, text) of the pager's risk chip
    "low": (OK, ON_OK),
    "medium": (AMBER, ON_AMBER),
    "high": (RED, TEXT),
}

DARK_BACKGROUNDS = {
    "BG": BG,
    "SURFACE": SURFACE,
    "SURFACE_HI": SURFACE_HI,
    "STRIP": STRIP,
    "RED_DARK": RED_DARK,
    "AMBER_DARK": AMBER_DARK,
}
TEXT_ON_DARK = {
    "TEXT": TEXT,
    "TEXT_MUTED": TEXT_MUTED,
    "RED_TEXT": RED_TEXT,
    "AMBER": AMBER,
    "OK": OK,
}
"""Every text colour the screens put on the dark backgrounds."""
BUTTON_TEXT = ("TEXT", "TEXT_MUTED")
"""The only text colours put on SURFACE_HI (buttons) and AMBER_DARK (the manager banner)."""
TEXT_BACKGROUNDS: dict[str, tuple[str, ...]] = {
    "BG": tuple(TEXT_ON_DARK),
    "SURFACE": tuple(TEXT_ON_DARK),
    "STRIP": tuple(TEXT_ON_DARK),
    "RED_DARK": tuple(TEXT_ON_DARK),
    "SURFACE_HI": BUTTON_TEXT,
    "AMBER_DARK": BUTTON_TEXT,
}
"""Which text colours each dark background carries (the contrast test checks each pair)."""
TEXT_ON_FILLS: tuple[tuple[str, tuple[float, ...], tuple[float, ...], bool], ...] = (
    # (what, text, fill, large text only)
    ("text on red", TEXT, RED, False),
    ("text on flashing red", TEXT, RED_FLASH, False),
    ("text on amber", ON_AMBER, AMBER, False),
    ("text on flashing amber", ON_AMBER, AMBER_FLASH, False),
    ("text on green", ON_OK, OK, False),
    ("text on drill", TEXT, DRILL, False),
    ("dark text on accent", BG, ACCENT, False),
    ("accent headings", ACCENT, BG, False),
    ("accent on surfaces", ACCENT, SURFACE, False),
    *((f"risk {risk} chip", text, fill, False) for risk, (fill, text) in RISK_CHIPS.items()),
)
"""The other text/fill pairs the screens use. WCAG 2.x: 4.5:1, or 3:1 for large text."""

# Metrics (numbers in dp or sp; the kv files apply dp()/sp()) ---------------------------
TARGET_MIN_DP = 48
ESCALATION_HEIGHT_DP = 104
ESCALATION_GAP_DP = 24
STRIP_HEIGHT_DP = 56
TILE_MIN_DP = 120
PADDING_DP = 24
BODY_SP = 22
SMALL_SP = 18  # status strip only (secondary information, never instructions)
TITLE_SP = 26
STEP_SP = 30
STEP_SP_SMALL = 27
SAY_SP = 38  # the say-script is the largest text on the step screen: staff read it out
SAY_SP_SMALL = 32
SAY_MAX_LINES = 3
STEP_MAX_LINES = 4
ESCALATION_SP = 30


def font_files() -> tuple[str, str | None] | None:
    """The CalmDeskSans files: the bundled subset if built, else the system Noto Sans CJK."""
    bundled = Path(__file__).resolve().parent.parent / "fonts"
    regular, bold = bundled / "CalmDeskSans-Regular.otf", bundled / "CalmDeskSans-Bold.otf"
    if regular.exists():
        return str(regular), str(bold) if bold.exists() else None
    system = Path("/usr/share/fonts/opentype/noto")
    regular, bold = system / "NotoSansCJK-Regular.ttc", system / "NotoSansCJK-Bold.ttc"
    if regular.exists():
        return str(regular), str(bold) if bold.exists() else None
    return None


def register_fonts() -> str:
    """Register CalmDeskSans with Kivy (CJK-capable); returns the font name to use."""
    try:
        from shared.fonts import register_calmdesk_font  # type: ignore[attr-defined]
    except ImportError:
        register_calmdesk_font = None
    if register_calmdesk_font is not None:
        register_calmdesk_font()
        return FONT_NAME
    from kivy.core.text import LabelBase

    files = font_files()
    if files is None:
        log.warning("no CJK font found: Japanese and Korean will render as boxes")
        LabelBase.register(FONT_NAME, LabelBase._fonts["Roboto"][0])  # type: ignore[attr-defined]
        return FONT_NAME
    regular, bold = files
    LabelBase.register(FONT_NAME, regular, fn_bold=bold)
    return FONT_NAME
