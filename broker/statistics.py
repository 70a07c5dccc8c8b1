"""Incident statistics for managers and reports. Drills never count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db.models import AlertRow, IncidentRow


@dataclass(frozen=True)
class Statistics:
    alerts: int
    security_alerts: int
    manager_alerts: int
    acknowledged: int
    false_alarms: int
    median_seconds_to_acknowledge: float | None
    incident_reports: int
    near_misses: int


def incident_statistics(session: Session, store: str, since: datetime | None = None) -> Statistics:
    """Counts for one store, excluding drills (and the hub's own "kiosk offline" pages)."""
    alert_query = select(AlertRow).where(AlertRow.store == store, AlertRow.drill.is_(False))
    report_query = select(IncidentRow).where(
        IncidentRow.store == store, IncidentRow.drill.is_(False)
    )
    if since is not None:
        alert_query = alert_query.where(AlertRow.raised_at >= since)
        report_query = report_query.where(IncidentRow.reported_at >= since)
    alerts = [a for a in session.scalars(alert_query) if a.situation != "kiosk_offline"]
    reports = list(session.scalars(report_query))
    waits = [
        (a.acknowledged_at - a.raised_at).total_seconds()
        for a in alerts
        if a.acknowledged_at is not None
    ]
    return Statistics(
        alerts=len(alerts),
        security_alerts=sum(a.level == "security" for a in alerts),
        manager_alerts=sum(a.level == "manager" for a in alerts),
        acknowledged=len(waits),
        false_alarms=sum(a.close_reason == "false_alarm" for a in alerts),
        median_seconds_to_acknowledge=median(waits) if waits else None,
        incident_reports=len(reports),
        near_misses=sum(r.near_miss for r in reports),
    )
