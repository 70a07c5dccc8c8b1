"""The HQ view's store health table, as plain data: one row per store of the chain.

For each store: its region, when it last synced with the central database and how long ago,
how many of its devices last said they were offline, and how many real (non-drill) alerts are
still open. Reads only the central database; the console renders the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from shared.db.central_models import DevicePresenceRow, StoreRow, StoreSyncRow
from shared.db.models import AlertRow

OPEN_STATUSES = ("raised", "acknowledged", "on_scene")


@dataclass(frozen=True, slots=True)
class StoreHealth:
    store: str
    region: str
    name: str
    last_synced_at: datetime | None
    sync_age_s: float | None
    devices_offline: int
    open_alerts: int

    @property
    def never_synced(self) -> bool:
        return self.last_synced_at is None


def store_health(
    session: Session,
    *,
    region: str | None = None,
    store: str | None = None,
    now: datetime | None = None,
) -> list[StoreHealth]:
    """The health table, stores in id order; filter by region and/or store."""
    now = now or datetime.now(UTC)
    known = union(select(StoreRow.store), select(StoreSyncRow.store)).subquery()
    offline = (
        select(DevicePresenceRow.store, func.count().label("n"))
        .where(DevicePresenceRow.online.is_(False))
        .group_by(DevicePresenceRow.store)
        .subquery()
    )
    open_alerts = (
        select(AlertRow.store, func.count().label("n"))
        .where(AlertRow.status.in_(OPEN_STATUSES), AlertRow.drill.is_(False))
        .group_by(AlertRow.store)
        .subquery()
    )
    query = (
        select(
            known.c.store,
            StoreRow.region,
            StoreRow.name,
            StoreSyncRow.synced_at,
            func.coalesce(offline.c.n, 0),
            func.coalesce(open_alerts.c.n, 0),
        )
        .select_from(known)
        .outerjoin(StoreRow, StoreRow.store == known.c.store)
        .outerjoin(StoreSyncRow, StoreSyncRow.store == known.c.store)
        .outerjoin(offline, offline.c.store == known.c.store)
        .outerjoin(open_alerts, open_alerts.c.store == known.c.store)
        .order_by(known.c.store)
    )
    if region is not None:
        query = query.where(StoreRow.region == region)
    if store is not None:
        query = query.where(known.c.store == store)
    rows = []
    for store_id, region_name, name, synced_at, devices_offline, alerts in session.execute(query):
        rows.append(
            StoreHealth(
                store=store_id,
                region=region_name or "",
                name=name or "",
                last_synced_at=synced_at,
                sync_age_s=(now - synced_at).total_seconds() if synced_at else None,
                devices_offline=int(devices_offline),
                open_alerts=int(alerts),
            )
        )
    return rows
