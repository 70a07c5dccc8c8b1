"""Head office mode: the console pointed at the chain's central database.

The central database has the store schema plus a few central-only tables
(:mod:`shared.db.central_models`). The console is in HQ mode when those tables are there
(``store_sync`` is written by every store's forwarder, and never exists in a store's own
database), or when ``calmdesk console --hq`` asks for it, which also migrates the central schema.

In HQ mode the console has no store files (registry, device files, ladders): what needs them is
hidden and refused, and only accounts that read across stores make sense (safety officers, and
auditors for the SB 553 log). Store managers sign in at their own store's console.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from shared.db.central_models import StoreRow, StoreSyncRow

CENTRAL_MARKER_TABLE = StoreSyncRow.__tablename__
STALE_AFTER_S = 300.0
"""A store whose last sync is older than this is shown as stale on the Stores page."""

STORE_ONLY_PAGES: frozenset[str] = frozenset({"devices", "cautions"})
"""Pages that need the store's own files, or data that never leaves the store (customer
caution notes are stripped by the forwarder); hidden and refused at head office."""

HQ_ROLES: frozenset[str] = frozenset({"safety_officer", "auditor"})
"""Roles that may sign in at head office."""

STORE_ONLY_REFUSAL = (
    "Head office's console has no store files: devices, escalation ladders, settings and "
    "customer caution notes (which never leave the store) are managed on each store's own "
    "console. Device presence per store is on the Stores page."
)
STORE_MANAGER_REFUSAL = (
    "This is head office's console. Store managers sign in at their own store's console; "
    "head office accounts are safety officers and auditors."
)


def is_central(engine: Engine) -> bool:
    """True when ``engine``'s database has the chain's central tables."""
    return inspect(engine).has_table(CENTRAL_MARKER_TABLE)


def central_stores(session: Session) -> set[str]:
    """Every store head office knows: registered in ``stores`` or seen syncing."""
    registered = session.scalars(select(StoreRow.store))
    synced = session.scalars(select(StoreSyncRow.store))
    return {*registered, *synced}


def regions(session: Session) -> list[str]:
    found = session.scalars(select(StoreRow.region).where(StoreRow.region != "").distinct())
    return sorted(found)


def stores_in_region(session: Session, region: str) -> tuple[str, ...]:
    found = session.scalars(select(StoreRow.store).where(StoreRow.region == region))
    return tuple(sorted(found))


def store_names(session: Session) -> dict[str, str]:
    return {row.store: row.name for row in session.scalars(select(StoreRow)) if row.name}


def establishment(store: str, names: dict[str, str]) -> str:
    """How the SB 553 log names one store: its id and, when registered, its name."""
    name = names.get(store)
    return f"{store} ({name})" if name else store
