"""Manager completion of an incident's record, and its follow-up tasks.

The kiosk's wrap-up is the employee's account and is never edited here; the manager's part
(SB 553's type, characteristics, consequences, investigation, corrective measures, who
completed it) lives in its own row beside it. A follow-up task cannot be closed without a note
of what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import sb553_fields as F
from console.queries.scoping import in_stores
from shared.db.models import FollowUpRow, IncidentReviewRow, IncidentRow
from shared.protocol import utc_now

Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=200)]


class ReportError(ValueError):
    """Input that cannot be saved; the message names the field and the fix."""


class Completion(BaseModel):
    """The manager's part of the record, as posted by the form."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    in_log: bool = True
    violence_type: int = Field(ge=1, le=4)
    perpetrator: str
    place: str
    area: Short
    circumstances: list[str] = Field(default_factory=list)
    incident_types: list[str] = Field(default_factory=list)
    description: Text = Field(min_length=1)
    security_contacted: bool = False
    police_contacted: bool = False
    response: Text = ""
    injuries: bool = False
    days_off: int = Field(default=0, ge=0, le=3650)
    protective_actions: Text = ""
    investigation: Text = ""
    corrective_measures: Text = ""
    internal_note: Text = ""
    completed_by_name: Short = Field(min_length=1)
    completed_by_title: Short = Field(min_length=1)
    completed_on: date

    @field_validator("perpetrator")
    @classmethod
    def _perpetrator(cls, value: str) -> str:
        return _one_of(value, F.PERPETRATORS, "perpetrator")

    @field_validator("place")
    @classmethod
    def _place(cls, value: str) -> str:
        return _one_of(value, F.PLACES, "place")

    @field_validator("circumstances")
    @classmethod
    def _circumstances(cls, value: list[str]) -> list[str]:
        return [_one_of(v, F.CIRCUMSTANCES, "circumstance") for v in value]

    @field_validator("incident_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return [_one_of(v, F.INCIDENT_TYPES, "incident type") for v in value]

    @classmethod
    def from_form(cls, form: dict[str, Any]) -> Completion:
        data = dict(form)
        for key in ("circumstances", "incident_types"):
            value = data.get(key, [])
            data[key] = value if isinstance(value, list) else [value]
        for key in ("in_log", "security_contacted", "police_contacted", "injuries"):
            data[key] = data.get(key) == "yes"
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ReportError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None


def _one_of(value: str, choices: dict[str, str], what: str) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} is not a known {what}")
    return value


def report(session: Session, row_id: int) -> tuple[IncidentRow | None, IncidentReviewRow | None]:
    incident = session.get(IncidentRow, row_id)
    if incident is None:
        return None, None
    review = session.scalar(
        select(IncidentReviewRow).where(IncidentReviewRow.incident_row_id == row_id)
    )
    return incident, review


def defaults(incident: IncidentRow) -> dict[str, Any]:
    """What the form shows before a manager completed it: the kiosk's answers mapped over."""
    return {
        "in_log": incident.violence_type != "none" or incident.injuries,
        "violence_type": F.PERPETRATOR_TO_TYPE.get(incident.perpetrator, 2),
        "perpetrator": F.KIOSK_PERPETRATOR.get(incident.perpetrator, "other"),
        "place": "workplace",
        "area": incident.counter,
        "circumstances": ["usual_duties"]
        + (["alone", "unable_to_get_help"] if incident.alone_or_unable_to_get_help else []),
        "incident_types": list(F.KIOSK_VIOLENCE_TO_TYPES.get(incident.violence_type, ())),
        "description": "",
        "security_contacted": incident.outcome == "security_removed",
        "police_contacted": incident.outcome == "police_called",
        "response": "",
        "injuries": incident.injuries,
        "days_off": 0,
        "protective_actions": "",
        "investigation": "",
        "corrective_measures": "",
        "internal_note": "",
        "completed_by_name": "",
        "completed_by_title": "",
        "completed_on": None,
    }


def values_of(review: IncidentReviewRow) -> dict[str, Any]:
    return {
        "in_log": review.in_log,
        "violence_type": review.violence_type,
        "perpetrator": review.perpetrator,
        "place": review.place,
        "area": review.area,
        "circumstances": list(review.circumstances.get("items", [])),
        "incident_types": list(review.incident_types.get("items", [])),
        "description": review.description,
        "security_contacted": review.security_contacted,
        "police_contacted": review.police_contacted,
        "response": review.response,
        "injuries": review.injuries,
        "days_off": review.days_off,
        "protective_actions": review.protective_actions,
        "investigation": review.investigation,
        "corrective_measures": review.corrective_measures,
        "internal_note": review.internal_note,
        "completed_by_name": review.completed_by_name,
        "completed_by_title": review.completed_by_title,
        "completed_on": review.completed_on.date(),
    }


def complete(session: Session, incident: IncidentRow, data: Completion) -> IncidentReviewRow:
    """Save (or replace) the manager's part of ``incident``'s record. Caller commits."""
    if incident.drill:
        raise ReportError("a drill has no SB 553 record to complete")
    review = session.scalar(
        select(IncidentReviewRow).where(IncidentReviewRow.incident_row_id == incident.id)
    )
    if review is None:
        review = IncidentReviewRow(incident_row_id=incident.id, store=incident.store)
        session.add(review)
    fields = data.model_dump()
    fields["circumstances"] = {"items": fields["circumstances"]}
    fields["incident_types"] = {"items": fields["incident_types"]}
    fields["completed_on"] = datetime.combine(data.completed_on, time(), UTC)
    for key, value in fields.items():
        setattr(review, key, value)
    review.updated_at = utc_now()
    session.flush()
    return review


# Follow-up tasks -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    incident_row_id: int
    store: str
    title: str
    owner: str
    due_at: datetime
    closed_at: datetime | None
    close_note: str | None
    overdue: bool


def _task(row: FollowUpRow, now: datetime) -> Task:
    return Task(
        row.id,
        row.incident_row_id,
        row.store,
        row.title,
        row.owner,
        row.due_at,
        row.closed_at,
        row.close_note,
        row.closed_at is None and row.due_at < now,
    )


def add_task(
    session: Session, incident: IncidentRow, *, title: str, owner: str, due: str, by: str
) -> FollowUpRow:
    title, owner = title.strip(), owner.strip()
    if not title or not owner:
        raise ReportError("a follow-up task needs what to do and who owns it")
    try:
        due_day = date.fromisoformat(due)
    except ValueError:
        raise ReportError("give the due date as YYYY-MM-DD") from None
    row = FollowUpRow(
        incident_row_id=incident.id,
        store=incident.store,
        title=title[:200],
        owner=owner[:200],
        due_at=datetime.combine(due_day, time(23, 59, 59), UTC),
        created_at=utc_now(),
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def close_task(session: Session, task_id: int, store: str, *, note: str, by: str) -> FollowUpRow:
    row = session.get(FollowUpRow, task_id)
    if row is None or row.store != store:
        raise ReportError(f"there is no follow-up task {task_id} in store {store}")
    if row.closed_at is not None:
        raise ReportError(f"task {task_id} was already closed")
    if not note.strip():
        raise ReportError("say what was done: a task cannot be closed without a note")
    row.closed_at = utc_now()
    row.closed_by = by
    row.close_note = note.strip()[:4000]
    return row


def tasks(
    session: Session,
    stores: tuple[str, ...] | None,
    *,
    incident_row_id: int | None = None,
    open_only: bool = False,
    now: datetime | None = None,
) -> list[Task]:
    now = now or utc_now()
    query = in_stores(select(FollowUpRow), FollowUpRow.store, stores)
    if incident_row_id is not None:
        query = query.where(FollowUpRow.incident_row_id == incident_row_id)
    if open_only:
        query = query.where(FollowUpRow.closed_at.is_(None))
    return [_task(r, now) for r in session.scalars(query.order_by(FollowUpRow.due_at))]
