"""Retention and erasure: the daily purge, and erasure requests for caution notes.

- Incident records (alerts, events, wrap-ups, completions, tasks) are kept ``incident_years``
  (5 by default, as SB 553 requires) and then deleted.
- An approved caution note expires ``caution_days`` after its approval (90 by default): its
  text is erased. A pending note older than that is erased too: nobody decided in time.
- Presence events are noise after ``presence_days`` (30 by default); each device's latest
  status stays, so the board can still say since when it is offline.
- Nothing under an open legal hold or access request is purged or erased; every erasure
  decision is written to the audit trail, honoured or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from console import audit
from shared.db.models import (
    AlertRow,
    EventRow,
    FollowUpRow,
    IncidentReviewRow,
    IncidentRow,
    RecordHoldRow,
    ResponderRow,
)

HOLD_KINDS = {"legal_hold": "legal hold", "access_request": "open access request"}


@dataclass(frozen=True, slots=True)
class Retention:
    incident_years: int = 5
    caution_days: int = 90
    presence_days: int = 30


@dataclass(frozen=True, slots=True)
class PurgeResult:
    incidents: int
    alerts: int
    events: int
    presence: int
    cautions: int
    held: int


def open_holds(session: Session, incident_row_id: int) -> list[RecordHoldRow]:
    return list(
        session.scalars(
            select(RecordHoldRow).where(
                RecordHoldRow.incident_row_id == incident_row_id, RecordHoldRow.closed_at.is_(None)
            )
        )
    )


def _held_ids(session: Session) -> set[int]:
    return set(
        session.scalars(
            select(RecordHoldRow.incident_row_id).where(RecordHoldRow.closed_at.is_(None))
        )
    )


def _erase_caution(row: IncidentRow) -> None:
    row.caution_description = None
    row.caution_reason = None
    row.caution_approved = False


def request_erasure(session: Session, row_id: int, by: str, now: datetime) -> tuple[bool, str]:
    """Erase a caution note on request unless a hold is open; the decision is logged either way."""
    row = session.get(IncidentRow, row_id)
    if row is None or row.caution_description is None:
        return False, f"there is no caution note #{row_id}"
    holds = open_holds(session, row_id)
    if holds:
        reason = ", ".join(HOLD_KINDS.get(h.kind, h.kind) for h in holds)
        audit.record(
            session,
            by,
            "erasure_refused",
            f"caution {row_id}",
            store=row.store,
            detail=f"kept: {reason} open",
        )
        return False, f"caution #{row_id} is kept: {reason} open"
    _erase_caution(row)
    row.caution_decided_at = row.caution_decided_at or now
    audit.record(session, by, "erasure_honoured", f"caution {row_id}", store=row.store)
    return True, f"caution #{row_id} erased"


def set_hold(
    session: Session, row_id: int, kind: str, by: str, now: datetime, *, open_it: bool
) -> None:
    if kind not in HOLD_KINDS:
        raise ValueError(f"unknown hold {kind!r}")
    row = session.get(IncidentRow, row_id)
    if row is None:
        raise ValueError(f"there is no record #{row_id}")
    if open_it:
        session.add(
            RecordHoldRow(
                incident_row_id=row_id, store=row.store, kind=kind, opened_at=now, opened_by=by
            )
        )
    else:
        for hold in open_holds(session, row_id):
            if hold.kind == kind:
                hold.closed_at = now
    audit.record(
        session,
        by,
        "hold_opened" if open_it else "hold_closed",
        f"record {row_id}",
        store=row.store,
        detail=HOLD_KINDS[kind],
    )


def purge(session: Session, now: datetime, policy: Retention, by: str = "purge") -> PurgeResult:
    """One pass of the daily purge. Caller commits."""
    held = _held_ids(session)
    cutoff = now - timedelta(days=365 * policy.incident_years)
    old = list(session.scalars(select(IncidentRow).where(IncidentRow.reported_at < cutoff)))
    kept = [r for r in old if r.id in held]
    gone = [r for r in old if r.id not in held]
    gone_ids = [r.id for r in gone]
    kept_alerts = {r.alert_id for r in kept if r.alert_id}
    if gone_ids:
        session.execute(delete(FollowUpRow).where(FollowUpRow.incident_row_id.in_(gone_ids)))
        session.execute(
            delete(IncidentReviewRow).where(IncidentReviewRow.incident_row_id.in_(gone_ids))
        )
        session.execute(delete(RecordHoldRow).where(RecordHoldRow.incident_row_id.in_(gone_ids)))
        session.execute(delete(IncidentRow).where(IncidentRow.id.in_(gone_ids)))
    old_alerts = [
        a
        for a in session.scalars(select(AlertRow.alert_id).where(AlertRow.raised_at < cutoff))
        if a not in kept_alerts
    ]
    if old_alerts:
        session.execute(delete(ResponderRow).where(ResponderRow.alert_id.in_(old_alerts)))
        session.execute(delete(AlertRow).where(AlertRow.alert_id.in_(old_alerts)))
    old_events = [EventRow.sent_at < cutoff]
    if kept_alerts:
        old_events.append(EventRow.alert_id.is_(None) | EventRow.alert_id.not_in(kept_alerts))
    events = session.execute(delete(EventRow).where(*old_events)).rowcount
    latest = select(func.max(EventRow.id)).where(EventRow.type == "presence")
    latest = latest.group_by(EventRow.store, EventRow.device)
    presence = session.execute(
        delete(EventRow).where(
            EventRow.type == "presence",
            EventRow.sent_at < now - timedelta(days=policy.presence_days),
            EventRow.id.not_in(latest.scalar_subquery()),
        )
    ).rowcount
    caution_cutoff = now - timedelta(days=policy.caution_days)
    cautions = 0
    for row in session.scalars(
        select(IncidentRow).where(IncidentRow.caution_description.is_not(None))
    ):
        since = row.caution_decided_at or row.reported_at
        if since < caution_cutoff and row.id not in held:
            _erase_caution(row)
            cautions += 1
    result = PurgeResult(
        len(gone_ids), len(old_alerts), events or 0, presence or 0, cautions, len(kept)
    )
    audit.record(session, by, "purge", "retention", detail=str(result))
    return result
