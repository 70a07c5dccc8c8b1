"""The central side of forwarding: one store's batch of events into the chain's database.

Runs in the hub's forwarder, inside one central transaction per batch:

1. each event is inserted with ``ON CONFLICT (event_id) DO NOTHING`` (a re-sent batch whose
   first attempt did commit changes nothing);
2. for each event that is new here, the alert, responder and incident rows are derived by the
   same reducer the store's recorder uses (DESIGN invariant 8: one life cycle), so HQ's
   derived rows cannot drift from the store's, and no mutable row needs forwarding;
3. the store's ``store_sync`` row is upserted. That write is what makes a fully skipped
   re-send still wait for the synchronous standby: a transaction that writes nothing does not
   wait, and would "succeed" even if the first attempt was only committed on one node.

Customer cautions are personal notes a store manager must approve or erase locally; they are
stripped from what leaves the store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from broker.recorder import Recorder
from shared.db.central_models import DevicePresenceRow, StoreSyncRow
from shared.db.models import EventRow
from shared.protocol import Message, Presence, decode


@dataclass(frozen=True, slots=True)
class ForwardedEvent:
    """One store event as it travels to the central database."""

    local_id: int
    event_id: uuid.UUID
    store: str
    device: str
    type: str
    alert_id: uuid.UUID | None
    sent_at: datetime
    recorded_at: datetime
    drill: bool
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: EventRow) -> ForwardedEvent:
        payload = dict(row.payload)
        if payload.get("caution") is not None:
            payload["caution"] = None  # stays in the store, where a manager decides on it
        return cls(
            local_id=row.id,
            event_id=row.event_id,
            store=row.store,
            device=row.device,
            type=row.type,
            alert_id=row.alert_id,
            sent_at=row.sent_at,
            recorded_at=row.recorded_at,
            drill=row.drill,
            payload=payload,
        )

    def values(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "store": self.store,
            "device": self.device,
            "type": self.type,
            "alert_id": self.alert_id,
            "sent_at": self.sent_at,
            "recorded_at": self.recorded_at,
            "drill": self.drill,
            "payload": self.payload,
        }

    def message(self) -> Message:
        return decode(json.dumps(self.payload).encode())


@dataclass(frozen=True, slots=True)
class Ingested:
    inserted: int
    skipped: int


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ingest_batch(
    sessions: sessionmaker[Session], store: str, batch: Sequence[ForwardedEvent]
) -> Ingested:
    """Write one batch in one central transaction; returns after COMMIT, or raises."""
    if not batch:
        raise ValueError("an empty batch proves nothing; forward at least one event")
    strangers = {event.store for event in batch} - {store}
    if strangers:
        raise ValueError(f"store {store} may not forward events of {sorted(strangers)}")
    reducer = Recorder(sessions)
    fresh: list[Message] = []
    with sessions.begin() as session:
        insert = _insert(session)
        for event in batch:
            statement = (
                insert(EventRow)
                .values(**event.values())
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(EventRow.id)
            )
            if session.execute(statement).scalar() is None:
                continue  # already here: a re-send of a batch whose commit we never heard
            message = event.message()
            fresh.append(message)
            if isinstance(message, Presence):
                _upsert_presence(session, message)
        reducer.derive_rows(session, fresh)  # the recorder's own derivation, not a copy
        _upsert_sync(session, store, batch[-1], len(fresh))
    return Ingested(inserted=len(fresh), skipped=len(batch) - len(fresh))


def _upsert_presence(session: Session, message: Presence) -> None:
    table = DevicePresenceRow.__table__
    statement = _insert(session)(table).values(
        store=message.store,
        device=message.device,
        kind=message.kind,
        online=message.online,
        at=message.sent_at,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["store", "device"],
        set_={
            "kind": statement.excluded.kind,
            "online": statement.excluded.online,
            "at": statement.excluded.at,
        },
        where=table.c.at <= statement.excluded.at,
    )
    session.execute(statement)


def _upsert_sync(session: Session, store: str, last: ForwardedEvent, inserted: int) -> None:
    table = StoreSyncRow.__table__
    statement = _insert(session)(table).values(
        store=store,
        last_event_id=last.local_id,
        last_event_at=last.recorded_at,
        synced_at=func.now(),
        events_total=inserted,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["store"],
        set_={
            "last_event_id": func.max(table.c.last_event_id, statement.excluded.last_event_id)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(table.c.last_event_id, statement.excluded.last_event_id),
            "last_event_at": statement.excluded.last_event_at,
            "synced_at": statement.excluded.synced_at,
            "events_total": table.c.events_total + statement.excluded.events_total,
        },
    )
    session.execute(statement)
