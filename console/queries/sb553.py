"""The SB 553 violent-incident log: its records for a period and establishment, the check for
personal identifying information, and CSV. Drills are never in it; the employee's own notes,
caution notes and internal notes never leave the console."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import sb553_fields as F
from console.queries.reports import defaults
from console.queries.scoping import in_stores
from shared.db.models import ConsoleUserRow, IncidentReviewRow, IncidentRow, ResponderRow

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Madam)\.?\s+[A-Z][a-z]+")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("record", "Record"),
    ("date", "Date"),
    ("time", "Time (UTC)"),
    ("establishment", "Establishment"),
    ("area", "Specific location"),
    ("place", "Where"),
    ("violence_type", "Violence type"),
    ("perpetrator", "Who committed it"),
    ("circumstances", "Circumstances"),
    ("incident_types", "Type of incident"),
    ("description", "Description"),
    ("security_contacted", "Security contacted"),
    ("police_contacted", "Law enforcement contacted"),
    ("response", "Their response"),
    ("injuries", "Injuries"),
    ("days_off", "Days off work"),
    ("protective_actions", "Actions to protect employees"),
    ("investigation", "Investigation"),
    ("corrective_measures", "Corrective measures"),
    ("completed_by_name", "Completed by (name)"),
    ("completed_by_title", "Completed by (job title)"),
    ("completed_on", "Completed on"),
    ("status", "Record status"),
)


class PiiFound(ValueError):
    """The log would carry personal identifying information; the message says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class LogRecord:
    incident_row_id: int
    store: str
    values: dict[str, str]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _record(incident: IncidentRow, review: IncidentReviewRow | None) -> LogRecord:
    if review is not None:
        v = {
            "violence_type": F.VIOLENCE_TYPES[review.violence_type],
            "perpetrator": F.PERPETRATORS.get(review.perpetrator, review.perpetrator),
            "place": F.PLACES.get(review.place, review.place),
            "area": review.area,
            "circumstances": "; ".join(
                F.CIRCUMSTANCES[c] for c in review.circumstances.get("items", [])
            ),
            "incident_types": "; ".join(
                F.INCIDENT_TYPES[t] for t in review.incident_types.get("items", [])
            ),
            "description": review.description,
            "security_contacted": _yes(review.security_contacted),
            "police_contacted": _yes(review.police_contacted),
            "response": review.response,
            "injuries": _yes(review.injuries),
            "days_off": str(review.days_off),
            "protective_actions": review.protective_actions,
            "investigation": review.investigation,
            "corrective_measures": review.corrective_measures,
            "completed_by_name": review.completed_by_name,
            "completed_by_title": review.completed_by_title,
            "completed_on": review.completed_on.strftime("%Y-%m-%d"),
            "status": "complete",
        }
    else:
        d = defaults(incident)
        v = {
            "violence_type": F.VIOLENCE_TYPES[d["violence_type"]],
            "perpetrator": F.PERPETRATORS[d["perpetrator"]],
            "place": F.PLACES[d["place"]],
            "area": d["area"],
            "circumstances": "; ".join(F.CIRCUMSTANCES[c] for c in d["circumstances"]),
            "incident_types": "; ".join(F.INCIDENT_TYPES[t] for t in d["incident_types"]),
            "description": "",
            "security_contacted": _yes(d["security_contacted"]),
            "police_contacted": _yes(d["police_contacted"]),
            "response": "",
            "injuries": _yes(d["injuries"]),
            "days_off": "",
            "protective_actions": "",
            "investigation": "",
            "corrective_measures": "",
            "completed_by_name": "",
            "completed_by_title": "",
            "completed_on": "",
            "status": "awaiting the manager's completion",
        }
    when = incident.started_at or incident.reported_at
    v.update(
        record=f"{incident.store}-{incident.id}",
        date=when.strftime("%Y-%m-%d"),
        time=when.strftime("%H:%M"),
        establishment=incident.store,
    )
    return LogRecord(incident.id, incident.store, v)


def in_log(incident: IncidentRow, review: IncidentReviewRow | None) -> bool:
    """A completed record says itself; before that, any violence or injury puts it in."""
    if incident.drill:
        return False
    if review is not None:
        return review.in_log
    return bool(defaults(incident)["in_log"])


def period(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), UTC), datetime.combine(
        end + timedelta(days=1), time(), UTC
    )


def log_records(
    session: Session, stores: tuple[str, ...] | None, start: date, end: date
) -> list[LogRecord]:
    since, until = period(start, end)
    query = in_stores(
        select(IncidentRow, IncidentReviewRow)
        .outerjoin(IncidentReviewRow, IncidentReviewRow.incident_row_id == IncidentRow.id)
        .where(IncidentRow.drill.is_(False))
        .where(IncidentRow.reported_at >= since, IncidentRow.reported_at < until),
        IncidentRow.store,
        stores,
    ).order_by(IncidentRow.reported_at)
    return [_record(i, r) for i, r in session.execute(query) if in_log(i, r)]


def known_names(
    session: Session, stores: tuple[str, ...] | None, extra: Iterable[str] = ()
) -> set[str]:
    """Names of people the system knows (responders, console users, pager holders)."""
    names: set[str] = set(extra)
    names.update(session.scalars(select(ResponderRow.name).distinct()))
    names.update(
        session.scalars(
            in_stores(select(ConsoleUserRow.display_name), ConsoleUserRow.store, stores)
        )
    )
    parts = set()
    for name in names:
        parts.update(p for p in re.split(r"[\s,]+", name or "") if len(p) >= 3 and p[0].isupper())
    return parts


def pii_in(text: str, names: set[str]) -> str | None:
    """What kind of personal identifying information ``text`` holds, or None."""
    if EMAIL.search(text):
        return "an e-mail address"
    for match in PHONE.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= 7:
            return "a phone number"
    if HONORIFIC.search(text):
        return "a person's name"
    for name in names:
        if re.search(rf"\b{re.escape(name)}\b", text):
            return f"a person's name ({name})"
    return None


def check_pii(records: list[LogRecord], names: set[str]) -> None:
    """Raise PiiFound naming every record and field to fix."""
    problems = []
    for record in records:
        for field, label in F.FREE_TEXT_FIELDS.items():
            found = pii_in(record.values.get(field, ""), names)
            if found:
                problems.append(
                    f"record {record.values['record']}: '{label}' contains {found}; "
                    f"fix it at /reports/{record.incident_row_id}"
                )
    if problems:
        raise PiiFound(problems)


def to_csv(records: list[LogRecord]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    for record in records:
        writer.writerow([_cell(record.values.get(key, "")) for key, _ in COLUMNS])
    return out.getvalue().encode("utf-8")


def _cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: defuse them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
