"""ORM tables. Wire models live in shared.protocol; shared.db.mapping converts between them.

Every row carries its store id and every event its globally unique id, so that forwarding a
store's records to a chain-wide database later is an addition, not a rewrite.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both dialects (SQLite stores naive values: we add UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONVariant = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy reads it as a class var)
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONVariant,
    }


class EventRow(Base):
    """Every accepted message, once (the unique event id makes recording idempotent)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    store: Mapped[str] = mapped_column(String(48), index=True)
    device: Mapped[str] = mapped_column(String(48))
    type: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    sent_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]]


class AlertRow(Base):
    """One alert's life cycle: raised, acknowledged by whom and when, closed how."""

    __tablename__ = "alerts"

    alert_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(48), index=True)
    kiosk: Mapped[str] = mapped_column(String(48))
    counter: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    silent: Mapped[bool] = mapped_column(Boolean)
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    situation: Mapped[str | None] = mapped_column(String(48))
    step_index: Mapped[int | None]
    risk: Mapped[str | None] = mapped_column(String(16))
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_role: Mapped[str | None] = mapped_column(String(16))
    acknowledged_device: Mapped[str | None] = mapped_column(String(48))
    on_scene_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_reason: Mapped[str | None] = mapped_column(String(32))
    close_note: Mapped[str | None] = mapped_column(String(200))
    escalation_steps: Mapped[int] = mapped_column(Integer, default=0)
    call_for_help: Mapped[bool] = mapped_column(Boolean, default=False)


class ResponderRow(Base):
    """Everyone who acknowledged an alert, first one first."""

    __tablename__ = "alert_responders"
    __table_args__ = (UniqueConstraint("alert_id", "device"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.alert_id"), index=True)
    device: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime]
    eta_minutes: Mapped[int | None]


class IncidentRow(Base):
    """A wrap-up report. Fields follow a violent-incident log (e.g. California SB 553) and
    hold no personal identifying information beyond an optional, approval-gated caution."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(index=True)
    alert_id: Mapped[uuid.UUID | None]
    store: Mapped[str] = mapped_column(String(48), index=True)
    kiosk: Mapped[str] = mapped_column(String(48))
    counter: Mapped[str] = mapped_column(String(200))
    situation: Mapped[str | None] = mapped_column(String(48))
    steps_reached: Mapped[int]
    near_miss: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(32))
    violence_type: Mapped[str] = mapped_column(String(32))
    perpetrator: Mapped[str] = mapped_column(String(16), server_default="customer")
    alone_or_unable_to_get_help: Mapped[bool] = mapped_column(Boolean)
    injuries: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text)
    follow_up_needed: Mapped[bool] = mapped_column(Boolean)
    follow_up_due: Mapped[datetime | None]
    caution_description: Mapped[str | None] = mapped_column(String(200))
    caution_reason: Mapped[str | None] = mapped_column(String(200))
    caution_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    """Only an approved caution may be shown to anyone (``calmdesk caution``)."""
    caution_decided_by: Mapped[str | None] = mapped_column(String(200))
    caution_decided_at: Mapped[datetime | None]
    completed_by_role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None]
    reported_at: Mapped[datetime]
    drill: Mapped[bool] = mapped_column(Boolean, default=False)


class DeadLetterRow(Base):
    """A message the recorder could not record: the database refused its content (poison), or
    its event id already belongs to a different message (a collision, perhaps a squat). Kept
    with the raw payload and the reason, never retried, shown in ``calmdesk watch``."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of topic and payload: the same message redelivered is kept once."""
    store: Mapped[str] = mapped_column(String(48), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "refused" or "collision"
    topic: Mapped[str] = mapped_column(String(300))
    event_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
