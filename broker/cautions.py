"""Customer caution notes: a manager approves or rejects each one before anyone else sees it.

A caution ("tall man in a red jacket; threatened staff twice over refunds") arrives inside an
incident report and is stored unapproved. Only :func:`approved_cautions` shows notes to staff,
and only those a manager approved. A rejected note is erased, not kept hidden: it is
information about a person that the store decided not to hold. Drills never carry cautions
into these lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.models import IncidentRow
from shared.protocol import utc_now


class CautionError(ValueError):
    """The caution asked for does not exist or was already decided."""


@dataclass(frozen=True, slots=True)
class Caution:
    number: int
    """The incident row's number: what a manager types to approve or reject it."""
    counter: str
    reported_at: datetime
    description: str
    reason: str
    decided_by: str | None
    decided_at: datetime | None


def _caution(row: IncidentRow) -> Caution:
    return Caution(
        number=row.id,
        counter=row.counter,
        reported_at=row.reported_at,
        description=row.caution_description or "",
        reason=row.caution_reason or "",
        decided_by=row.caution_decided_by,
        decided_at=row.caution_decided_at,
    )


def _with_caution(store: str):  # type: ignore[no-untyped-def]
    return (
        select(IncidentRow)
        .where(IncidentRow.store == store, IncidentRow.drill.is_(False))
        .where(IncidentRow.caution_description.is_not(None))
        .order_by(IncidentRow.reported_at)
    )


def pending_cautions(session: Session, store: str) -> list[Caution]:
    """Notes waiting for a manager: for the manager's eyes only."""
    query = _with_caution(store).where(IncidentRow.caution_decided_at.is_(None))
    return [_caution(row) for row in session.scalars(query)]


def approved_cautions(session: Session, store: str) -> list[Caution]:
    """The notes staff may see: approved by a manager."""
    query = _with_caution(store).where(IncidentRow.caution_approved.is_(True))
    return [_caution(row) for row in session.scalars(query)]


def decide_caution(
    session: Session,
    store: str,
    number: int,
    *,
    approve: bool,
    manager: str,
    now: datetime | None = None,
) -> Caution:
    """Approve or reject caution ``number``; rejecting erases its text. Caller commits."""
    row = session.get(IncidentRow, number)
    missing = CautionError(f"there is no caution note number {number} in store {store}")
    if row is None or row.store != store or row.drill:
        raise missing
    if row.caution_decided_at is not None:
        verdict = "approved" if row.caution_approved else "rejected"
        raise CautionError(
            f"caution {number} was already {verdict} by {row.caution_decided_by} "
            f"on {row.caution_decided_at:%Y-%m-%d %H:%M} UTC"
        )
    if row.caution_description is None:
        raise missing
    if not manager.strip():
        raise CautionError("say who decides (--by NAME): the decision is recorded")
    row.caution_decided_by = manager.strip()
    row.caution_decided_at = now or utc_now()
    row.caution_approved = approve
    decided = _caution(row)
    if not approve:
        row.caution_description = None
        row.caution_reason = None
    return decided
