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
    Connection,
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
    event,
    insert,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, object_session


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


# Console (web back office): accounts, sessions, audit trail, manager completion of reports,
# follow-up tasks and holds on records. Every row names its store (NULL = every store).


class ConsoleUserRow(Base):
    """A person who signs in to the console (never a device)."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    store: Mapped[str | None] = mapped_column(String(48), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class ConsoleSessionRow(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AuditRow(Base):
    """Who viewed, exported or changed what, and when (caution notes especially)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64))
    store: Mapped[str | None] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(500), default="")


class IncidentReviewRow(Base):
    """The manager's completion of an incident's SB 553 record (the wrap-up is the employee's
    account). ``internal_note`` is internal free text: never exported, never shown to auditors."""

    __tablename__ = "incident_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_row_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    store: Mapped[str] = mapped_column(String(48), index=True)
    in_log: Mapped[bool] = mapped_column(Boolean, default=True)
    violence_type: Mapped[int] = mapped_column(Integer)
    perpetrator: Mapped[str] = mapped_column(String(32))
    place: Mapped[str] = mapped_column(String(32))
    area: Mapped[str] = mapped_column(String(200))
    circumstances: Mapped[dict[str, Any]]
    incident_types: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text)
    security_contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    police_contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[str] = mapped_column(Text, default="")
    injuries: Mapped[bool] = mapped_column(Boolean, default=False)
    days_off: Mapped[int] = mapped_column(Integer, default=0)
    protective_actions: Mapped[str] = mapped_column(Text, default="")
    investigation: Mapped[str] = mapped_column(Text, default="")
    corrective_measures: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    completed_by_name: Mapped[str] = mapped_column(String(200))
    completed_by_title: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[datetime]
    updated_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    """Stamped from ``change_counters`` on every write: what the forwarder follows."""


class FollowUpRow(Base):
    """A follow-up task after an incident: an owner, a due date, and a note when closed."""

    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_row_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    store: Mapped[str] = mapped_column(String(48), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    """Stamped from ``change_counters`` on every write: what the forwarder follows."""


class RecordHoldRow(Base):
    """A legal hold or an open access request on an incident: erasure waits while it is open."""

    __tablename__ = "record_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_row_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    store: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(24))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]


class ForwardMark(Base):
    """How far this store's events have reached the chain's central database.

    ``last_event_id`` is the highest local ``events.id`` the central database has committed;
    it only moves after that commit, so a crash between the two re-sends (harmlessly) rather
    than skips. One row per target (today only ``central``), plus one per forwarded table of
    records that change after they are written (``central:incident_reviews``,
    ``central:follow_up_tasks``), where ``last_event_id`` holds the highest ``revision`` the
    central database has committed.
    """

    __tablename__ = "central_forward"

    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    forwarded_total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None]


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


class ChangeCounterRow(Base):
    """A counter handed out to every write of a forwarded, changing record (manager completions
    and follow-up tasks), so the forwarder can follow changes without skipping one.

    Taking a number is an ``UPDATE`` of this row, which holds its row lock (PostgreSQL) or the
    database's write lock (SQLite) until the writer commits: numbers therefore become visible in
    the order they were taken, and a forwarder that has seen number n has seen every number
    below it. Updated-at timestamps cannot promise that (two changes in one second, clocks)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


RECORDS_COUNTER = "records"
"""One counter for every changing record: one lock per writer, so no two writers deadlock."""


def next_revision(connection: Connection) -> int:
    """Take the next number (inside the caller's transaction)."""
    table = ChangeCounterRow.__table__
    taken = connection.execute(
        update(table)
        .where(table.c.name == RECORDS_COUNTER)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    ).scalar()
    if taken is None:  # a database built without migration 0006's seed row
        connection.execute(insert(table).values(name=RECORDS_COUNTER, value=1))
        taken = 1
    return int(taken)


@event.listens_for(IncidentReviewRow, "before_insert")
@event.listens_for(IncidentReviewRow, "before_update")
@event.listens_for(FollowUpRow, "before_insert")
@event.listens_for(FollowUpRow, "before_update")
def _stamp_revision(_mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    session = object_session(target)
    if session is not None and target in session.dirty and not session.is_modified(target):
        return  # flushed without a change: nothing new to forward
    target.revision = next_revision(connection)
