"""Numbers behind the statistics page. Drills never count, except in the drill results; the
hub's own "kiosk offline" alerts are device trouble, not incidents, and are left out."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median, quantiles

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.queries.scoping import in_stores
from shared.db.models import AlertRow, IncidentRow

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEVICE_ALERTS = ("kiosk_offline",)


def percentile(values: list[float], p: int) -> float | None:
    """The p-th percentile (inclusive method); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return quantiles(sorted(values), n=100, method="inclusive")[p - 1]


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class SituationOutcome:
    situation: str
    near_misses: int
    escalations: int
    median_step_calm: float | None
    """Median guided step reached before a calm ending (near miss)."""
    median_step_escalated: float | None
    """Median guided step at which help was called."""


@dataclass(frozen=True, slots=True)
class Stats:
    weeks: list[date]
    per_week_level: dict[str, list[int]]
    per_week_situation: dict[str, list[int]]
    ack_p50: list[float | None]
    ack_p90: list[float | None]
    heat: list[list[int]]
    """heat[weekday][hour]: alerts raised (UTC)."""
    situations: list[SituationOutcome]
    drills: int
    drill_acknowledged: int
    drill_p50: float | None
    drill_p90: float | None


def _seconds_to_ack(alert: AlertRow) -> float | None:
    if alert.acknowledged_at is None:
        return None
    return (alert.acknowledged_at - alert.raised_at).total_seconds()


def statistics(session: Session, stores: tuple[str, ...] | None, since: datetime) -> Stats:
    alerts = [
        a
        for a in session.scalars(
            in_stores(select(AlertRow).where(AlertRow.raised_at >= since), AlertRow.store, stores)
        )
        if a.situation not in DEVICE_ALERTS
    ]
    reports = list(
        session.scalars(
            in_stores(
                select(IncidentRow).where(
                    IncidentRow.reported_at >= since, IncidentRow.drill.is_(False)
                ),
                IncidentRow.store,
                stores,
            )
        )
    )
    real = [a for a in alerts if not a.drill]
    drills = [a for a in alerts if a.drill]
    weeks = sorted({week_of(a.raised_at) for a in real})
    index = {w: i for i, w in enumerate(weeks)}
    level: dict[str, list[int]] = {"manager": [0] * len(weeks), "security": [0] * len(weeks)}
    situation: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    waits: dict[date, list[float]] = defaultdict(list)
    heat = [[0] * 24 for _ in WEEKDAYS]
    for a in real:
        i = index[week_of(a.raised_at)]
        level.setdefault(a.level, [0] * len(weeks))[i] += 1
        situation[a.situation or "not given"][i] += 1
        heat[a.raised_at.weekday()][a.raised_at.hour] += 1
        wait = _seconds_to_ack(a)
        if wait is not None:
            waits[week_of(a.raised_at)].append(wait)
    near: Counter[str] = Counter()
    calm_steps: dict[str, list[int]] = defaultdict(list)
    for r in reports:
        if r.near_miss:
            key = r.situation or "not given"
            near[key] += 1
            calm_steps[key].append(r.steps_reached)
    escalated: Counter[str] = Counter()
    help_steps: dict[str, list[int]] = defaultdict(list)
    for a in real:
        key = a.situation or "not given"
        escalated[key] += 1
        if a.step_index is not None:
            help_steps[key].append(a.step_index + 1)
    outcomes = [
        SituationOutcome(
            s,
            near[s],
            escalated[s],
            median(calm_steps[s]) if calm_steps[s] else None,
            median(help_steps[s]) if help_steps[s] else None,
        )
        for s in sorted(set(near) | set(escalated))
    ]
    drill_waits = [w for w in (_seconds_to_ack(a) for a in drills) if w is not None]
    return Stats(
        weeks=weeks,
        per_week_level=level,
        per_week_situation=dict(situation),
        ack_p50=[percentile(waits[w], 50) for w in weeks],
        ack_p90=[percentile(waits[w], 90) for w in weeks],
        heat=heat,
        situations=outcomes,
        drills=len(drills),
        drill_acknowledged=len(drill_waits),
        drill_p50=percentile(drill_waits, 50),
        drill_p90=percentile(drill_waits, 90),
    )
