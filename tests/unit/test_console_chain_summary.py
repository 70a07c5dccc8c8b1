"""Head office's chain-wide figures from the store health rows: stale and never-synced stores
are told apart, and the totals add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.queries.chain import is_stale, summarise
from shared.db.store_health import StoreHealth

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def row(store: str, age_s: float | None, offline: int = 0, alerts: int = 0) -> StoreHealth:
    synced = None if age_s is None else NOW - timedelta(seconds=age_s)
    return StoreHealth(store, "north", "", synced, age_s, offline, alerts)


def test_a_store_is_stale_after_the_limit_or_when_it_never_synced() -> None:
    assert not is_stale(row("s1", 299), 300)
    assert is_stale(row("s1", 301), 300)
    assert is_stale(row("s1", None), 300)


def test_the_summary_counts_recent_stale_and_never_synced_stores_and_adds_the_totals() -> None:
    rows = [row("s1", 5, offline=1), row("s2", 900, alerts=2), row("s3", None), row("s4", 10, 2, 1)]
    summary = summarise(rows, 300)
    assert (summary.stores, summary.synced_recently, summary.stale, summary.never_synced) == (
        4,
        2,
        1,
        1,
    )
    assert (summary.devices_offline, summary.open_alerts, summary.stores_with_open_alerts) == (
        3,
        3,
        2,
    )
    assert summarise([], 300).stores == 0
