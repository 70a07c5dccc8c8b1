"""The recorder: every accepted event into the database exactly once, in batches.

Delivery is at-least-once (QoS 1, outbox resends), so recording is idempotent on the event id:
``INSERT … ON CONFLICT DO NOTHING``. An id that comes back with the *same* content is a
duplicate and changes nothing; with *different* content it is a collision (perhaps a device
squatting another's id), kept aside as a dead letter and logged, never taken for a duplicate.

A batch is written in one transaction. The alert and responder rows of every alert the batch
touched are then rebuilt by folding all of that alert's recorded events with the reducer the
screens use (:mod:`shared.alerts.state`, mapped by :mod:`shared.db.mapping`), so arrival order,
duplicates and restarts between batches cannot make the database disagree with a screen.

A message the database refuses for its content (a poison message) must not block the others:
the batch is then split in halves until the refused message is alone, and that one goes to the
dead letters. Only an outage (the database unreachable) stops recording: :class:`Outage`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import insert as insert_into
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from shared import topics
from shared.alerts.state import ALERT_MESSAGE_TYPES, AlertMessage, AlertView, fold
from shared.db import mapping
from shared.db.models import AlertRow, DeadLetterRow, EventRow, IncidentRow, ResponderRow
from shared.protocol import (
    ESCALATION_NAMESPACE,
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    Message,
    OnScene,
    Presence,
    Resolved,
    encode,
)

log = logging.getLogger(__name__)

INSERT_CHUNK = 200  # ids per IN (...) list: far below SQLite's bound-parameter limit
DECODED_CACHE = 20_000  # recent alert messages kept decoded for the next folds

class Outage(RuntimeError):
    """The database cannot be reached (or cannot run our statements): nothing was recorded for
    sure, the batch stays unacknowledged and is retried."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One admitted message and where it came from."""

    message: Message
    topic: str
    payload: bytes
    received_at: datetime

    @classmethod
    def of(cls, message: Message, topic: str | None = None) -> Incoming:
        """For callers without a broker (tools, tests): the message as if just received."""
        return cls(message, topic or _topic_of(message), encode(message), datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class DeadLetter:
    incoming: Incoming
    kind: str  # "refused" (the database refused the content) or "collision"
    reason: str


@dataclass
class BatchOutcome:
    """What one batch did; every message of the batch is in exactly one list."""

    new: list[Message] = field(default_factory=list)
    duplicates: list[Message] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    alerts: dict[uuid.UUID, AlertView] = field(default_factory=dict)
    """The folded view of every alert this batch changed."""

    def merge(self, other: BatchOutcome) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.dead += other.dead
        self.alerts.update(other.alerts)


@dataclass(frozen=True)
class Recorded:
    message: Message
    new: bool  # False: a duplicate, already recorded before
    alert: AlertView | None = None


def is_outage(error: BaseException) -> bool:
    """True if retrying later can help: the database, not the message, is the problem.

    Connection and pool errors are outages; so are statement errors that no message can cause
    (a missing table): quarantining every message behind them would empty the store's record.
    Data and integrity errors (SQLSTATE classes 22 and 23) and values the driver cannot bind
    belong to the message.
    """
    if isinstance(error, DisconnectionError | PoolTimeout | OSError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(
            error, OperationalError | InterfaceError | ProgrammingError
        )
    return False


class Recorder:
    """Writes batches of messages through SQLAlchemy, one transaction per batch."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._decoded: OrderedDict[uuid.UUID, AlertMessage] = OrderedDict()

    def record(self, message: Message, topic: str | None = None) -> Recorded:
        """Record one message (tools and tests; the hub records batches)."""
        outcome = self.record_batch([Incoming.of(message, topic)])
        if outcome.dead:
            reason = outcome.dead[0].reason
            raise ValueError(f"message {message.event_id} was quarantined: {reason}")
        view = outcome.alerts.get(getattr(message, "alert_id", None))  # type: ignore[arg-type]
        return Recorded(message, new=bool(outcome.new), alert=view)

    def record_batch(self, batch: Sequence[Incoming]) -> BatchOutcome:
        """Record a batch; raises :class:`Outage` if the database is unreachable.

        When it returns, every message of the batch is committed: recorded, recognised as a
        duplicate, or quarantined. The caller may acknowledge them all.
        """
        if not batch:
            return BatchOutcome()
        try:
            return self._commit(batch)
        except Exception as error:
            if is_outage(error):
                raise Outage(_describe(error)) from error
            if len(batch) == 1:
                return self._quarantine(batch[0], error)
            log.warning(
                "a batch of %d was refused (%s); looking for the message at fault",
                len(batch),
                _describe(error),
            )
        middle = len(batch) // 2
        outcome = self._split(batch[:middle])
        outcome.merge(self._split(batch[middle:]))
        return outcome

    def _split(self, batch: Sequence[Incoming]) -> BatchOutcome:
        """Write a part of a refused batch, halving again until the refused message is alone:
        a few transactions more for one poison message, instead of one per message."""
        try:
            return self._commit(batch)
        except Exception as error:
            if is_outage(error):
                raise Outage(_describe(error)) from error
            if len(batch) == 1:
                return self._quarantine(batch[0], error)
        middle = len(batch) // 2
        outcome = self._split(batch[:middle])
        outcome.merge(self._split(batch[middle:]))
        return outcome

    # One transaction --------------------------------------------------------------------

    def _commit(self, batch: Sequence[Incoming]) -> BatchOutcome:
        outcome = BatchOutcome()
        with self._sessions.begin() as session:
            unique = self._first_of_each_id(batch, outcome)
            inserted = self._insert_events(session, unique)
            already = [item for item in unique if item.message.event_id not in inserted]
            self._sort_out_existing(session, already, outcome)
            fresh = [item.message for item in unique if item.message.event_id in inserted]
            outcome.alerts = self.derive_rows(session, fresh)
            self._store_dead(session, outcome.dead)
            outcome.new = fresh
        self.committed(fresh)
        return outcome

    def derive_rows(self, session: Session, fresh: Sequence[Message]) -> dict[uuid.UUID, AlertView]:
        """Write the rows derived from newly inserted events (incident rows; alert and responder
        rows folded by the reducer) in ``session``'s transaction. Also used by head office's
        ingest (broker/central_ingest.py), so both databases derive rows the same way. After the
        commit, call :meth:`committed`."""
        reports = [mapping.incident_values(m) for m in fresh if isinstance(m, IncidentReport)]
        if reports:
            session.connection().execute(insert_into(IncidentRow), reports)
        touched = {m.alert_id for m in fresh if isinstance(m, ALERT_MESSAGE_TYPES)}
        return self._rebuild_alerts(session, touched, fresh)

    def committed(self, fresh: Sequence[Message]) -> None:
        """Committed messages are safe to reuse, decoded, in later folds."""
        for message in fresh:
            if isinstance(message, ALERT_MESSAGE_TYPES):
                self._remember(message)

    def _first_of_each_id(self, batch: Sequence[Incoming], outcome: BatchOutcome) -> list[Incoming]:
        """Drop repeats inside the batch (a duplicate, or a collision if the content differs)."""
        first: dict[uuid.UUID, Incoming] = {}
        for incoming in batch:
            seen = first.get(incoming.message.event_id)
            if seen is None:
                first[incoming.message.event_id] = incoming
            elif same_event(mapping.message_payload(seen.message), incoming.message):
                outcome.duplicates.append(incoming.message)
            else:
                outcome.dead.append(_collision(incoming, seen.topic))
        return list(first.values())

    def _insert_events(self, session: Session, batch: Sequence[Incoming]) -> set[uuid.UUID]:
        """Insert what is new; return the event ids actually inserted."""
        if not batch:
            return set()
        insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
        now = datetime.now(UTC)
        inserted: set[uuid.UUID] = set()
        statement = (
            insert(EventRow.__table__)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(EventRow.__table__.c.event_id)
        )
        rows = [mapping.event_values(incoming.message, now) for incoming in batch]
        # one cached statement, many rows: SQLAlchemy batches them into multi-row INSERTs
        # ("insertmanyvalues"); RETURNING names what was new, where rowcount is unreliable
        inserted.update(session.connection().execute(statement, rows).scalars())
        return inserted

    def _sort_out_existing(
        self, session: Session, already: Sequence[Incoming], outcome: BatchOutcome
    ) -> None:
        """An id already recorded: the same message again, or a different one (a collision)."""
        if not already:
            return
        stored: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
        for chunk in _chunks(already, INSERT_CHUNK):
            ids = [incoming.message.event_id for incoming in chunk]
            query = select(EventRow.event_id, EventRow.device, EventRow.payload).where(
                EventRow.event_id.in_(ids)
            )
            for row in session.execute(query):
                stored[row.event_id] = (row.device, row.payload)
        for incoming in already:
            device, payload = stored[incoming.message.event_id]
            if same_event(payload, incoming.message):
                outcome.duplicates.append(incoming.message)
            else:
                outcome.dead.append(_collision(incoming, f"a message from {device}"))

    def _rebuild_alerts(
        self, session: Session, alert_ids: Iterable[uuid.UUID], fresh: Sequence[Message]
    ) -> dict[uuid.UUID, AlertView]:
        """Fold each alert's recorded events and write its rows as the reducer sees it."""
        ids = sorted(alert_ids)
        if not ids:
            return {}
        known = {m.event_id: m for m in fresh if isinstance(m, ALERT_MESSAGE_TYPES)}
        events: dict[uuid.UUID, list[AlertMessage]] = defaultdict(list)
        missing: list[uuid.UUID] = []
        for chunk in _chunks(ids, INSERT_CHUNK):
            query = select(EventRow.event_id).where(EventRow.alert_id.in_(chunk))
            for event_id in session.scalars(query):
                message = known.get(event_id) or self._decoded.get(event_id)
                if message is None:
                    missing.append(event_id)
                else:
                    events[message.alert_id].append(message)
        for chunk in _chunks(missing, INSERT_CHUNK):  # recorded before this process started
            query = select(EventRow.payload).where(EventRow.event_id.in_(chunk))
            for payload in session.scalars(query):
                message = mapping.message_from_payload(payload)
                if isinstance(message, ALERT_MESSAGE_TYPES):
                    events[message.alert_id].append(message)
                    self._remember(message)
        views = {
            alert_id: view
            for alert_id in ids
            if (view := fold(events.get(alert_id, ()))) is not None
        }
        if views:
            self._write_alert_rows(session, views)
        return views

    def _write_alert_rows(self, session: Session, views: dict[uuid.UUID, AlertView]) -> None:
        """Upsert the alert rows and replace their responders (one statement per table)."""
        insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
        alerts, responders = AlertRow.__table__, ResponderRow.__table__
        rows = [mapping.alert_values(view) for view in views.values()]
        upsert = insert(alerts)
        upsert = upsert.on_conflict_do_update(
            index_elements=["alert_id"],
            set_={name: upsert.excluded[name] for name in rows[0] if name != "alert_id"},
        )
        connection = session.connection()
        connection.execute(upsert, rows)
        for chunk in _chunks(list(views), INSERT_CHUNK):
            connection.execute(delete(responders).where(responders.c.alert_id.in_(chunk)))
        people = [row for view in views.values() for row in mapping.responder_values(view)]
        if people:
            connection.execute(insert_into(responders), people)

    def _remember(self, message: AlertMessage) -> None:
        """Keep a committed message decoded (events never change once recorded)."""
        self._decoded[message.event_id] = message
        self._decoded.move_to_end(message.event_id)
        while len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)

    # Dead letters -----------------------------------------------------------------------

    def _store_dead(self, session: Session, dead: Sequence[DeadLetter]) -> None:
        if not dead:
            return
        insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
        now = datetime.now(UTC)
        rows = [_dead_values(letter, now) for letter in dead]
        session.execute(insert(DeadLetterRow).values(rows).on_conflict_do_nothing())

    def _quarantine(self, incoming: Incoming, error: BaseException) -> BatchOutcome:
        """Keep a message the database refused aside, in a transaction of its own."""
        if isinstance(error, SQLAlchemyError):
            reason = f"the database refused it: {_describe(error)}"
        else:  # not the database's verdict: a message our own code cannot handle; show why
            log.error("recording %s failed", incoming.message.event_id, exc_info=error)
            reason = f"recording it failed: {_describe(error)}"
        letter = DeadLetter(incoming, "refused", reason)
        try:
            with self._sessions.begin() as session:
                self._store_dead(session, [letter])
        except SQLAlchemyError as failure:
            # even the dead letter failed: treat it as an outage rather than lose the message
            raise Outage(f"could not keep a dead letter: {_describe(failure)}") from failure
        return BatchOutcome(dead=[letter])


def same_event(stored: dict[str, Any], message: Message) -> bool:
    """Is ``message`` the one recorded under its id (``stored`` is its recorded payload)?

    Two copies of one ladder rung (the kiosk's and the hub's) share an id derived from the
    alert and the rung, and may differ in sender and time: the same rung, not a collision.
    """
    payload = mapping.message_payload(message)
    if payload == stored:
        return True
    if not isinstance(message, AlertEscalated) or stored.get("type") != message.type:
        return False
    derived = uuid.uuid5(ESCALATION_NAMESPACE, f"{message.alert_id}/{message.step_id}")
    return (
        message.event_id == derived
        and stored.get("alert_id") == str(message.alert_id)
        and stored.get("step_id") == message.step_id
        and stored.get("store") == message.store
    )


def _collision(incoming: Incoming, holder: str) -> DeadLetter:
    message = incoming.message
    reason = (
        f"event id collision: {message.event_id} already belongs to {holder} with different "
        f"content; this {message.type} from {message.device} was not recorded"  # type: ignore[attr-defined]
    )
    return DeadLetter(incoming, "collision", reason)


def _dead_values(letter: DeadLetter, now: datetime) -> dict[str, Any]:
    incoming = letter.incoming
    digest = hashlib.sha256(incoming.topic.encode() + b"\n" + incoming.payload).hexdigest()
    return {
        "digest": digest,
        "store": incoming.message.store,
        "kind": letter.kind,
        "topic": incoming.topic[:300],
        "event_id": incoming.message.event_id,
        "reason": _printable(letter.reason),
        "payload": incoming.payload,
        "received_at": incoming.received_at,
        "recorded_at": now,
    }


def _describe(error: BaseException) -> str:
    """One line naming the error, without the SQL statement and bound values."""
    orig = getattr(error, "orig", None)
    detail = orig or error
    lines = str(detail).strip().splitlines()
    name = type(error).__name__
    if orig is not None and type(orig).__name__ != name:
        name = f"{name} ({type(orig).__name__})"
    return _printable(f"{name}: {lines[0] if lines else ''}"[:500])


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _topic_of(message: Message) -> str:
    """The topic a message would have arrived on (for messages recorded without a broker)."""
    if isinstance(message, IncidentReport):
        return topics.kiosk_incident(message.store, message.device)
    if isinstance(message, Acknowledged | OnScene | Resolved):
        return topics.pager_ack(message.store, message.device)
    if isinstance(message, Presence):
        return topics.status(message.store, message.kind, message.device)
    if isinstance(message, AlertRaised | AlertCancelled | AlertEscalated):
        return topics.kiosk_alert(message.store, message.device)
    return f"{topics.ROOT}/{message.store}/unknown/{message.device}"
