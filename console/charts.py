# ruff: noqa: E501 (one SVG element per line reads better than wrapped markup)
"""Server-side SVG charts, readable without colour: every series has its own fill pattern or
line style and marker, values are printed, and each chart comes with a data table."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

# (fill colour, pattern id) per series; the patterns are defined once in _DEFS
SERIES_STYLE = (
    ("#1f2a37", "solid"),
    ("#1f2a37", "hatch"),
    ("#1f2a37", "dots"),
    ("#1f2a37", "cross"),
    ("#1f2a37", "vert"),
    ("#1f2a37", "empty"),
)
_DEFS = """<defs>
<pattern id="p-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f2a37" stroke-width="3"/></pattern>
<pattern id="p-dots" width="6" height="6" patternUnits="userSpaceOnUse">
<rect width="6" height="6" fill="#ffffff"/><circle cx="3" cy="3" r="1.6" fill="#1f2a37"/></pattern>
<pattern id="p-cross" width="8" height="8" patternUnits="userSpaceOnUse">
<rect width="8" height="8" fill="#ffffff"/><path d="M0 0L8 8M8 0L0 8" stroke="#1f2a37" stroke-width="1.5"/></pattern>
<pattern id="p-vert" width="5" height="5" patternUnits="userSpaceOnUse">
<rect width="5" height="5" fill="#ffffff"/><line x1="2" y1="0" x2="2" y2="5" stroke="#1f2a37" stroke-width="2"/></pattern>
</defs>"""
FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" fill="#1b1f24"'


def _markup(parts: list[str]) -> Markup:
    """Every text that came from data went through ``escape`` above; numbers are formatted."""
    return Markup("".join(parts))  # noqa: S704


def _fill(index: int) -> str:
    _, pattern = SERIES_STYLE[index % len(SERIES_STYLE)]
    if pattern == "solid":
        return 'fill="#1f2a37"'
    if pattern == "empty":
        return 'fill="#ffffff"'
    return f'fill="url(#p-{pattern})"'


def _swatch(index: int, x: float, y: float) -> str:
    return f'<rect x="{x}" y="{y}" width="14" height="14" {_fill(index)} stroke="#1b1f24"/>'


def bar_chart(title: str, categories: list[str], series: dict[str, list[int]]) -> Markup:
    """Grouped bars, one group per category, with the value above each bar and a legend."""
    names = list(series)
    width, height, left, bottom, top = 760, 300, 44, 48, 40
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max([1, *(v for values in series.values() for v in values)])
    group = plot_w / max(1, len(categories))
    bar = max(4.0, min(28.0, (group - 8) / max(1, len(names))))
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">', _DEFS]
    for i, name in enumerate(names):  # legend
        out.append(_swatch(i, left + i * 150, 8))
        out.append(f'<text x="{left + i * 150 + 20}" y="20" {FONT}>{escape(name)}</text>')
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#1b1f24"/>'
    )
    for c, label in enumerate(categories):
        x0 = left + c * group + (group - bar * len(names)) / 2
        for i, name in enumerate(names):
            value = series[name][c]
            h = plot_h * value / peak
            x = x0 + i * bar
            y = top + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" {_fill(i)} stroke="#1b1f24"/>'
            )
            out.append(
                f'<text x="{x + bar / 2 - 1:.1f}" y="{y - 3:.1f}" text-anchor="middle" {FONT}>{value}</text>'
            )
        out.append(
            f'<text x="{left + c * group + group / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    out.append("</svg>")
    return _markup(out)


def line_chart(
    title: str, categories: list[str], series: dict[str, list[float | None]], unit: str
) -> Markup:
    """Lines with a different dash and marker per series, each point labelled with its value."""
    width, height, left, bottom, top = 760, 300, 50, 48, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None]
    peak = max([1.0, *values])
    step = plot_w / max(1, len(categories) - 1) if len(categories) > 1 else 0
    dashes = ("", ' stroke-dasharray="8 5"', ' stroke-dasharray="2 4"')
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    for i, name in enumerate(series):
        out.append(
            f'<line x1="{left + i * 170}" y1="15" x2="{left + i * 170 + 30}" y2="15" stroke="#1f2a37" stroke-width="2"{dashes[i % 3]}/>'
        )
        out.append(_marker(i, left + i * 170 + 15, 15))
        out.append(f'<text x="{left + i * 170 + 36}" y="19" {FONT}>{escape(name)}</text>')
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 20}" y2="{top + plot_h}" stroke="#1b1f24"/>'
    )
    out.append(f'<text x="4" y="{top + 4}" {FONT}>{escape(unit)}</text>')
    for i, (_name, points) in enumerate(series.items()):
        coords = [
            (
                left + c * step + (plot_w / 2 if len(categories) == 1 else 0),
                top + plot_h - plot_h * v / peak,
                v,
            )
            for c, v in enumerate(points)
            if v is not None
        ]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="#1f2a37" stroke-width="2"{dashes[i % 3]}/>'
            )
        for x, y, v in coords:
            out.append(_marker(i, x, y))
            out.append(
                f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" {FONT}>{v:.0f}</text>'
            )
    for c, label in enumerate(categories):
        x = left + c * step + (plot_w / 2 if len(categories) == 1 else 0)
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    out.append("</svg>")
    return _markup(out)


def _marker(index: int, x: float, y: float) -> str:
    if index % 2 == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f2a37"/>'
    return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" stroke="#1f2a37" stroke-width="2"/>'


def heat_map(title: str, rows: list[str], grid: list[list[int]]) -> Markup:
    """Rows × 24 hours; darker means more, and every non-zero cell prints its count."""
    cell, left, top = 28, 44, 24
    width, height = left + 24 * cell + 4, top + len(rows) * cell + 4
    peak = max([1, *(v for row in grid for v in row)])
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    out.extend(
        f'<text x="{left + hour * cell + cell / 2}" y="16" text-anchor="middle" {FONT}>{hour}</text>'
        for hour in range(24)
    )
    for r, label in enumerate(rows):
        y = top + r * cell
        out.append(f'<text x="4" y="{y + cell / 2 + 4}" {FONT}>{escape(label)}</text>')
        for hour, value in enumerate(grid[r]):
            shade = 255 - int(215 * value / peak) if value else 255
            fill = f"#{shade:02x}{shade:02x}{shade:02x}"
            text = "#ffffff" if shade < 128 else "#1b1f24"
            out.append(
                f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{fill}" stroke="#8a96a3"/>'
            )
            if value:
                out.append(
                    f'<text x="{left + hour * cell + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="12" fill="{text}">{value}</text>'
                )
    out.append("</svg>")
    return _markup(out)
