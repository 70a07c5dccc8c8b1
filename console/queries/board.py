"""The live board: open alerts, device presence, who is on duty, and roles nobody covers.

Presence comes from the recorded ``presence`` events (retained status messages and Last Wills).
A Last Will is built when its device connects, so its ``sent_at`` is old: for "offline since"
the time the hub recorded it is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.queries.scoping import in_stores
from shared.db.models import AlertRow, EventRow, ResponderRow

OPEN = ("raised", "acknowledged", "on_scene")
RESPONDER_ROLES = ("manager", "security")


@dataclass(frozen=True, slots=True)
class OpenAlert:
    alert_id: str
    store: str
    counter: str
    level: str
    silent: bool
    drill: bool
    status: str
    situation: str | None
    raised_at: datetime
    elapsed_seconds: float
    responders: tuple[str, ...]
    rung: str | None
    rungs: int
    call_for_help: bool


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    store: str
    device: str
    name: str
    role: str
    online: bool
    on_duty: bool
    since: datetime
    """Online since / offline since: when the latest status was recorded."""
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Board:
    alerts: tuple[OpenAlert, ...]
    devices: tuple[DeviceStatus, ...]
    on_duty: tuple[DeviceStatus, ...]
    uncovered: tuple[tuple[str, str], ...]
    """(store, role) with nobody on duty."""


def open_alerts(session: Session, stores: tuple[str, ...] | None, now: datetime) -> list[OpenAlert]:
    query = in_stores(
        select(AlertRow).where(AlertRow.status.in_(OPEN)), AlertRow.store, stores
    ).order_by(AlertRow.raised_at)
    alerts = list(session.scalars(query))
    ids = [a.alert_id for a in alerts]
    names: dict[object, list[str]] = {}
    rungs: dict[object, str] = {}
    if ids:
        for row in session.scalars(
            select(ResponderRow)
            .where(ResponderRow.alert_id.in_(ids))
            .order_by(ResponderRow.acknowledged_at)
        ):
            names.setdefault(row.alert_id, []).append(f"{row.name} ({row.role})")
        for event in session.scalars(
            select(EventRow)
            .where(EventRow.alert_id.in_(ids), EventRow.type == "alert_escalated")
            .order_by(EventRow.sent_at)
        ):
            rungs[event.alert_id] = str(event.payload.get("step_id", ""))
    return [
        OpenAlert(
            alert_id=str(a.alert_id),
            store=a.store,
            counter=a.counter,
            level=a.level,
            silent=a.silent,
            drill=a.drill,
            status=a.status,
            situation=a.situation,
            raised_at=a.raised_at,
            elapsed_seconds=max(0.0, (now - a.raised_at).total_seconds()),
            responders=tuple(names.get(a.alert_id, ())),
            rung=rungs.get(a.alert_id),
            rungs=a.escalation_steps,
            call_for_help=a.call_for_help,
        )
        for a in alerts
    ]


def device_statuses(session: Session, stores: tuple[str, ...] | None) -> list[DeviceStatus]:
    """Latest recorded status of every device that ever reported one."""
    latest = in_stores(
        select(func.max(EventRow.id)).where(EventRow.type == "presence"), EventRow.store, stores
    ).group_by(EventRow.store, EventRow.device)
    rows = session.scalars(select(EventRow).where(EventRow.id.in_(latest))).all()
    statuses = []
    for row in rows:
        payload = row.payload
        online = bool(payload.get("online"))
        statuses.append(
            DeviceStatus(
                store=row.store,
                device=row.device,
                name=str(payload.get("display_name") or row.device),
                role=str(payload.get("role", "")),
                online=online,
                on_duty=bool(payload.get("on_duty")) and online,
                since=row.recorded_at,
                last_seen=row.recorded_at if not online else max(row.recorded_at, row.sent_at),
            )
        )
    return sorted(statuses, key=lambda s: (s.store, s.online, s.role, s.device))


def board(
    session: Session,
    stores: tuple[str, ...] | None,
    now: datetime,
    known_stores: tuple[str, ...] = (),
) -> Board:
    devices = device_statuses(session, stores)
    on_duty = tuple(d for d in devices if d.on_duty and d.role in RESPONDER_ROLES)
    covered = {(d.store, d.role) for d in on_duty}
    shown = sorted({d.store for d in devices} | set(known_stores))
    uncovered = tuple(
        (store, role) for store in shown for role in RESPONDER_ROLES if (store, role) not in covered
    )
    return Board(
        alerts=tuple(open_alerts(session, stores, now)),
        devices=tuple(devices),
        on_duty=on_duty,
        uncovered=uncovered,
    )
