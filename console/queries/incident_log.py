"""The incident log (alerts and wrap-up reports, filtered) and one alert's timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.queries.scoping import in_stores
from shared.db.models import AlertRow, EventRow, IncidentRow

DRILL_CHOICES = ("exclude", "only", "include")
LIMIT = 500


@dataclass(frozen=True, slots=True)
class LogFilters:
    date_from: date | None = None
    date_to: date | None = None
    counter: str = ""
    level: str = ""
    situation: str = ""
    outcome: str = ""
    drill: str = "exclude"

    @classmethod
    def parse(cls, params: dict[str, str]) -> LogFilters:
        """From query parameters; anything unreadable is ignored rather than guessed."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        drill = params.get("drill", "exclude")
        return cls(
            date_from=day("from"),
            date_to=day("to"),
            counter=params.get("counter", "")[:200],
            level=params.get("level", "") if params.get("level") in ("manager", "security") else "",
            situation=params.get("situation", "")[:48],
            outcome=params.get("outcome", "")[:32],
            drill=drill if drill in DRILL_CHOICES else "exclude",
        )

    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time(), UTC) if self.date_from else None

    def end(self) -> datetime | None:
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time(), UTC)


@dataclass(frozen=True, slots=True)
class LogEntry:
    store: str
    when: datetime
    counter: str
    level: str | None
    situation: str | None
    outcome: str
    drill: bool
    alert_id: str | None
    incident_row_id: int | None
    acknowledged_by: str | None
    seconds_to_ack: float | None
    near_miss: bool


def _where(
    query: Any, column_time: Any, model: Any, stores: tuple[str, ...] | None, f: LogFilters
) -> Any:
    query = in_stores(query, model.store, stores)
    if f.start():
        query = query.where(column_time >= f.start())
    if f.end():
        query = query.where(column_time < f.end())
    if f.counter:
        query = query.where(model.counter == f.counter)
    if f.situation:
        query = query.where(model.situation == f.situation)
    if f.drill == "exclude":
        query = query.where(model.drill.is_(False))
    elif f.drill == "only":
        query = query.where(model.drill.is_(True))
    return query


def incident_log(session: Session, stores: tuple[str, ...] | None, f: LogFilters) -> list[LogEntry]:
    """Newest first: each alert with its wrap-up, and wrap-ups that had no alert."""
    alert_query = _where(select(AlertRow), AlertRow.raised_at, AlertRow, stores, f)
    if f.level:
        alert_query = alert_query.where(AlertRow.level == f.level)
    alerts = list(session.scalars(alert_query.order_by(AlertRow.raised_at.desc()).limit(LIMIT)))
    report_query = _where(select(IncidentRow), IncidentRow.reported_at, IncidentRow, stores, f)
    reports = list(
        session.scalars(report_query.order_by(IncidentRow.reported_at.desc()).limit(LIMIT))
    )
    by_alert = {r.alert_id: r for r in reports if r.alert_id is not None}
    entries = []
    for a in alerts:
        report = by_alert.pop(a.alert_id, None)
        entries.append(
            LogEntry(
                store=a.store,
                when=a.raised_at,
                counter=a.counter,
                level=a.level,
                situation=a.situation,
                outcome=report.outcome if report else (a.close_reason or a.status),
                drill=a.drill,
                alert_id=str(a.alert_id),
                incident_row_id=report.id if report else None,
                acknowledged_by=a.acknowledged_by,
                seconds_to_ack=(a.acknowledged_at - a.raised_at).total_seconds()
                if a.acknowledged_at
                else None,
                near_miss=bool(report and report.near_miss),
            )
        )
    if not f.level:
        alert_ids = {a.alert_id for a in alerts}
        for r in reports:
            if r.alert_id is not None and r.alert_id in alert_ids:
                continue
            entries.append(
                LogEntry(
                    r.store,
                    r.reported_at,
                    r.counter,
                    None,
                    r.situation,
                    r.outcome,
                    r.drill,
                    str(r.alert_id) if r.alert_id else None,
                    r.id,
                    None,
                    None,
                    r.near_miss,
                )
            )
    if f.outcome:
        entries = [e for e in entries if e.outcome == f.outcome]
    return sorted(entries, key=lambda e: e.when, reverse=True)


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    kind: str
    label: str
    internal: str = ""
    """Free text from the store (wrap-up notes, resolve note): internal, never for auditors."""
    since_previous: float | None = None
    since_raised: float | None = None
    incident_row_id: int | None = None


def _label(event: EventRow) -> tuple[str, str]:
    p = event.payload
    kind = event.type
    if kind == "alert_raised":
        ctx = p.get("context") or {}
        bits = [f"{p.get('level', '?')} needed at {p.get('counter', '?')}"]
        if p.get("silent"):
            bits.append("silent")
        if ctx.get("situation"):
            bits.append(f"situation {ctx['situation'].replace('_', ' ')}")
        if ctx.get("step_index") is not None:
            bits.append(f"at step {ctx['step_index'] + 1}")
        return "Raised: " + ", ".join(bits), ""
    if kind == "alert_escalated":
        extra = " · call for help shown" if p.get("call_for_help") else ""
        step = str(p.get("step_id", "?")).replace("_", " ")
        return f"Rung reached: {step}. {p.get('reason', '')}{extra}", ""
    if kind == "acknowledged":
        eta = f", ETA {p['eta_minutes']} min" if p.get("eta_minutes") is not None else ""
        return f"Acknowledged by {p.get('responder_name')} ({p.get('responder_role')}){eta}", ""
    if kind == "on_scene":
        return f"On scene: {p.get('responder_name')} ({p.get('responder_role')})", ""
    if kind == "resolved":
        return f"Resolved by {p.get('responder_name')}", str(p.get("note") or "")
    if kind == "alert_cancelled":
        return f"Cancelled at the kiosk: {str(p.get('reason', '')).replace('_', ' ')}", ""
    if kind == "incident_report":
        near = "near miss, " if p.get("near_miss") else ""
        outcome = str(p.get("outcome")).replace("_", " ")
        violence = str(p.get("violence_type")).replace("_", " ")
        return (
            f"Wrap-up report from the counter: {near}outcome {outcome}, violence {violence}, "
            f"{p.get('steps_reached', 0)} steps",
            str(p.get("notes") or ""),
        )
    return kind.replace("_", " "), ""


def timeline(session: Session, alert_id: uuid.UUID) -> tuple[AlertRow | None, list[Step]]:
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        return None, []
    events = session.scalars(
        select(EventRow)
        .where(EventRow.alert_id == alert_id)
        .order_by(EventRow.sent_at, EventRow.id)
    ).all()
    incidents = {
        r.event_id: r.id
        for r in session.scalars(select(IncidentRow).where(IncidentRow.alert_id == alert_id))
    }
    steps: list[Step] = []
    previous: datetime | None = None
    for event in events:
        label, internal = _label(event)
        steps.append(
            Step(
                at=event.sent_at,
                kind=event.type,
                label=label,
                internal=internal,
                since_previous=(event.sent_at - previous).total_seconds() if previous else None,
                since_raised=(event.sent_at - alert.raised_at).total_seconds(),
                incident_row_id=incidents.get(event.event_id),
            )
        )
        previous = event.sent_at
    return alert, steps


def distinct_values(session: Session, stores: tuple[str, ...] | None) -> dict[str, list[str]]:
    """Choices for the filter lists."""

    def values(column: Any, model: Any) -> list[str]:
        query = in_stores(select(column).distinct(), model.store, stores)
        return sorted(v for v in session.scalars(query) if v)

    return {
        "counters": sorted(
            set(values(AlertRow.counter, AlertRow)) | set(values(IncidentRow.counter, IncidentRow))
        ),
        "situations": sorted(
            set(values(AlertRow.situation, AlertRow))
            | set(values(IncidentRow.situation, IncidentRow))
        ),
        "outcomes": sorted(
            set(values(IncidentRow.outcome, IncidentRow))
            | set(values(AlertRow.close_reason, AlertRow))
        ),
    }
