"""Forwarding of the records a store keeps changing: managers' completions of incident records
(``incident_reviews``) and follow-up tasks (``follow_up_tasks``).

Events are written once, so the forwarder follows ``events.id``. These rows are edited after
they are written (a completion corrected, a task closed), so each write stamps the row with a
``revision`` taken from one counter (:func:`shared.db.models.next_revision`: numbers become
visible in the order they were taken), and the forwarder follows each table's revision with its
own watermark. A change is sent as the row's whole current state and upserted centrally:

* a completion is keyed by its incident, which head office finds by the incident's
  ``event_id`` (the store's integer ``incidents.id`` means nothing there);
* a task is keyed by (store, the store's own task id), kept in the central-only column
  ``store_task_id``;
* the upsert only replaces an older revision, so a re-sent batch (the hub died after the
  central commit and before moving its watermark) writes nothing twice and never rolls a newer
  row back; the store's ``store_sync`` row is touched in the same transaction, so even a
  fully skipped re-send waits for the synchronous standby.

Only the fields of the SB 553 log and of the task list leave the store: the fields are an
allow-list, and the manager's ``internal_note`` is not on it.

A change whose incident is still among the store's unsent events stays in the store, with
everything after it, until a later round (:func:`placeable`). One whose incident head office
lacks although it is not waiting to be sent (its event was purged before forwarding ever ran) is
logged and passed over by the forwarder, rather than holding every later change back for ever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TableClause, column, func, select, table
from sqlalchemy.orm import Session, sessionmaker

from broker.central_ingest import _insert
from shared.db.central_models import StoreSyncRow
from shared.db.models import EventRow, FollowUpRow, IncidentReviewRow, IncidentRow

PRIVATE_REVIEW_FIELDS = frozenset({"internal_note"})
"""Review columns that never leave the store."""


@dataclass(frozen=True, slots=True)
class RecordKind:
    """One forwarded table: what is sent and how head office recognises a row again."""

    table: str
    model: type[IncidentReviewRow] | type[FollowUpRow]
    fields: tuple[str, ...]
    """Columns copied to head office as they are (an allow-list)."""
    conflict_key: tuple[str, ...]
    keeps_store_id: bool
    """The central row keeps the store's own id in ``store_task_id``."""
    blanked: tuple[str, ...] = ()
    """Required columns that stay in the store: head office's copy holds an empty text."""

    @property
    def target(self) -> str:
        """This table's watermark row in ``central_forward``."""
        return f"central:{self.table}"

    def central_table(self) -> TableClause:
        names = (*self.fields, *self.blanked)
        columns = [column(name, self.model.__table__.c[name].type) for name in names]
        columns += [
            column("store", self.model.__table__.c.store.type),
            column("incident_row_id", self.model.__table__.c.incident_row_id.type),
            column("revision", self.model.__table__.c.revision.type),
        ]
        if self.keeps_store_id:
            columns.append(column("store_task_id", self.model.__table__.c.id.type))
        return table(self.table, *columns)


REVIEWS = RecordKind(
    table="incident_reviews",
    model=IncidentReviewRow,
    fields=(
        "in_log",
        "violence_type",
        "perpetrator",
        "place",
        "area",
        "circumstances",
        "incident_types",
        "description",
        "security_contacted",
        "police_contacted",
        "response",
        "injuries",
        "days_off",
        "protective_actions",
        "investigation",
        "corrective_measures",
        "completed_by_name",
        "completed_by_title",
        "completed_on",
        "updated_at",
    ),
    conflict_key=("incident_row_id",),
    keeps_store_id=False,
    blanked=tuple(sorted(PRIVATE_REVIEW_FIELDS)),
)
TASKS = RecordKind(
    table="follow_up_tasks",
    model=FollowUpRow,
    fields=(
        "title",
        "owner",
        "due_at",
        "created_at",
        "created_by",
        "closed_at",
        "closed_by",
        "close_note",
    ),
    conflict_key=("store", "store_task_id"),
    keeps_store_id=True,
)
RECORD_KINDS: tuple[RecordKind, ...] = (REVIEWS, TASKS)
"""Forwarded in this order, after the events of the same round."""


@dataclass(frozen=True, slots=True)
class ForwardedRecord:
    """One changed row as it travels to the central database (its whole current state)."""

    kind: RecordKind
    local_id: int
    revision: int
    store: str
    incident_event_id: uuid.UUID
    fields: dict[str, Any]


def read_records(
    session: Session, kind: RecordKind, store: str, after: int, limit: int
) -> list[ForwardedRecord]:
    """The next changed rows of ``kind`` after revision ``after``, oldest change first."""
    model = kind.model
    rows = session.execute(
        select(model, IncidentRow.event_id)
        .join(IncidentRow, IncidentRow.id == model.incident_row_id)
        .where(model.revision > after, model.store == store)
        .order_by(model.revision)
        .limit(limit)
    ).all()
    return [
        ForwardedRecord(
            kind=kind,
            local_id=row.id,
            revision=row.revision,
            store=row.store,
            incident_event_id=event_id,
            fields={name: getattr(row, name) for name in kind.fields},
        )
        for row, event_id in rows
    ]


def placeable(
    session: Session, store: str, events_mark: int, batch: list[ForwardedRecord]
) -> list[ForwardedRecord]:
    """The start of ``batch`` up to the first change whose incident is still among the store's
    events not yet forwarded (after ``events_mark``): those wait for a later round."""
    if not batch:
        return batch
    unsent = set(
        session.scalars(
            select(EventRow.event_id).where(
                EventRow.store == store,
                EventRow.id > events_mark,
                EventRow.event_id.in_({record.incident_event_id for record in batch}),
            )
        )
    )
    for index, record in enumerate(batch):
        if record.incident_event_id in unsent:
            return batch[:index]
    return batch


def ingest_records(
    sessions: sessionmaker[Session], store: str, batch: Sequence[ForwardedRecord]
) -> int:
    """Upsert one batch in one central transaction; returns after COMMIT (or raises) how many
    of the batch, from its start, head office now holds. The rest wait for their incident."""
    if not batch:
        raise ValueError("an empty batch proves nothing; forward at least one record")
    strangers = {record.store for record in batch} - {store}
    if strangers:
        raise ValueError(f"store {store} may not forward records of {sorted(strangers)}")
    if len({record.kind.table for record in batch}) != 1:
        raise ValueError("a batch holds the records of one table")
    wanted = {record.incident_event_id for record in batch}
    with sessions.begin() as session:
        found = session.execute(
            select(IncidentRow.event_id, IncidentRow.id).where(
                IncidentRow.store == store, IncidentRow.event_id.in_(wanted)
            )
        )
        incidents: dict[uuid.UUID, int] = {row.event_id: row.id for row in found}
        done = 0
        for record in batch:
            central_id = incidents.get(record.incident_event_id)
            if central_id is None:
                break  # head office lacks its incident: this and the rest are not written
            _upsert(session, record, central_id)
            done += 1
        if done:
            _touch_sync(session, store)
    return done


def _upsert(session: Session, record: ForwardedRecord, central_incident_id: int) -> None:
    kind = record.kind
    target = kind.central_table()
    values = {
        **record.fields,
        **dict.fromkeys(kind.blanked, ""),
        "store": record.store,
        "incident_row_id": central_incident_id,
        "revision": record.revision,
    }
    if kind.keeps_store_id:
        values["store_task_id"] = record.local_id
    statement = _insert(session)(target).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(kind.conflict_key),
        set_={name: statement.excluded[name] for name in values if name not in kind.conflict_key},
        where=target.c.revision < statement.excluded.revision,
    )
    session.execute(statement)


def _touch_sync(session: Session, store: str) -> None:
    """The write that makes even an all-skipped re-send wait for the synchronous standby."""
    sync = StoreSyncRow.__table__
    statement = _insert(session)(sync).values(
        store=store, last_event_id=0, synced_at=func.now(), events_total=0
    )
    statement = statement.on_conflict_do_update(
        index_elements=["store"], set_={"synced_at": statement.excluded.synced_at}
    )
    session.execute(statement)
