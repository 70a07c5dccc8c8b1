"""Tables that exist only in the chain's central database.

The central database holds the store tables of :mod:`shared.db.models` unchanged (every row
already carries its store), so the console reads a store's database and the chain's with the
same ORM. These few tables are what only head office needs: which stores exist and where, when
each store last synced, and each device's latest presence. They live in their own metadata and
their own Alembic history (``shared/db/central_migrations``) so a store database never has them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.models import NAMING, Base


class CentralBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = Base.type_annotation_map


class StoreRow(CentralBase):
    """A store of the chain: its region and a display name, for filters on the HQ view."""

    __tablename__ = "stores"

    store: Mapped[str] = mapped_column(String(48), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True, default="")
    name: Mapped[str] = mapped_column(String(200), default="")


class StoreSyncRow(CentralBase):
    """Written by every forward transaction of a store (see broker.central_ingest)."""

    __tablename__ = "store_sync"

    store: Mapped[str] = mapped_column(String(48), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer)
    """The store's own ``events.id`` of the newest event forwarded."""
    last_event_at: Mapped[datetime | None]
    """When the store recorded that event."""
    synced_at: Mapped[datetime]
    events_total: Mapped[int] = mapped_column(Integer, default=0)
    """Events this store added to the central database (skipped re-sends not counted)."""


class DevicePresenceRow(CentralBase):
    """The latest presence each device of each store announced (online or offline)."""

    __tablename__ = "device_presence"

    store: Mapped[str] = mapped_column(String(48), primary_key=True)
    device: Mapped[str] = mapped_column(String(48), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    online: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]
