"""WCAG 2.x contrast ratio between two colours (RGBA or RGB tuples, 0..1). Pure Python."""

from __future__ import annotations

from collections.abc import Sequence

NORMAL_TEXT_MIN = 4.5
LARGE_TEXT_MIN = 3.0
"""WCAG 2.x success criterion 1.4.3: 4.5:1, or 3:1 for large text (18 pt, or 14 pt bold)."""


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: Sequence[float]) -> float:
    """The WCAG relative luminance of an sRGB colour (alpha ignored)."""
    r, g, b = (_linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter: 1.0 (same) to 21.0 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
