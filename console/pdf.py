"""The SB 553 log as a PDF (ReportLab): one block per record, the law's fields in order."""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from console.queries.sb553 import COLUMNS, LogRecord


def log_pdf(records: list[LogRecord], *, establishment: str, start: date, end: date) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title="Violent incident log (SB 553)",
        author="CalmDesk",
    )
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize = 9
    cell.leading = 11
    story = [
        Paragraph("Violent incident log (California Labor Code 6401.9)", styles["Title"]),
        Paragraph(
            escape(
                f"Establishment: {establishment}. Period: {start:%Y-%m-%d} to {end:%Y-%m-%d}. "
                f"{len(records)} records. No personal identifying information; drills left out."
            ),
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    if not records:
        story.append(Paragraph("No violent incidents recorded in this period.", styles["Normal"]))
    for record in records:
        rows = [
            [
                Paragraph(escape(label), cell),
                Paragraph(escape(record.values.get(key, "")) or "—", cell),
            ]
            for key, label in COLUMNS
        ]
        table = Table(rows, colWidths=[60 * mm, 200 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e8edf2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [KeepTogether(table), Spacer(1, 5 * mm)]
    doc.build(story)
    return buffer.getvalue()
