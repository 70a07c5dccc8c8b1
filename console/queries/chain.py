"""Chain-wide figures for head office, from the store health table's rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.db.store_health import StoreHealth


@dataclass(frozen=True, slots=True)
class ChainSummary:
    stores: int
    synced_recently: int
    stale: int
    never_synced: int
    devices_offline: int
    open_alerts: int
    stores_with_open_alerts: int


def is_stale(row: StoreHealth, stale_after_s: float) -> bool:
    """Never synced, or last synced longer ago than ``stale_after_s``."""
    return row.sync_age_s is None or row.sync_age_s > stale_after_s


def summarise(rows: Sequence[StoreHealth], stale_after_s: float) -> ChainSummary:
    stale = [r for r in rows if is_stale(r, stale_after_s)]
    return ChainSummary(
        stores=len(rows),
        synced_recently=len(rows) - len(stale),
        stale=sum(1 for r in stale if not r.never_synced),
        never_synced=sum(1 for r in rows if r.never_synced),
        devices_offline=sum(r.devices_offline for r in rows),
        open_alerts=sum(r.open_alerts for r in rows),
        stores_with_open_alerts=sum(1 for r in rows if r.open_alerts),
    )
