"""The hub's forwarder: this store's recorded events to the chain's central database.

A thread that reads events from the store's own database in ``events.id`` order, after a
durable watermark (``central_forward.last_event_id``), and hands them in batches to
:func:`broker.central_ingest.ingest_batch`. The watermark moves only after the central COMMIT
returned; any error re-sends the same batch after a jittered backoff, and the central side
skips what it already has. So nothing is skipped and nothing is doubled, whatever dies when.

Why ``events.id`` is a safe order: on SQLite, writers are serialised, so ids become visible in
commit order (and events are never deleted, so ids are never reused). On PostgreSQL a sequence
value is taken before commit, so an earlier id can appear after a later one; the reader takes a
SHARE lock on ``events`` for the moment of the read, which waits for every inserting
transaction in flight, so no id below the batch's last can still appear later.

After the events of each round, the same thread forwards the rows a store manager keeps
changing (completions of incident records, follow-up tasks) by their revision, each table with
its own watermark row (see :mod:`broker.central_records`); events go first, so the incident a
change refers to is normally at head office already.

The store never waits for this: paging and recording go on while head office is unreachable.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from broker.central_ingest import ForwardedEvent, ingest_batch
from broker.central_records import (
    RECORD_KINDS,
    RecordKind,
    ingest_records,
    placeable,
    read_records,
)
from shared.db.central import make_central_engine
from shared.db.engine import session_factory
from shared.db.models import EventRow, ForwardMark

log = logging.getLogger(__name__)

TARGET = "central"
BATCH = 100
IDLE_S = 0.1
BACKOFF_FIRST_S = 0.2
BACKOFF_CAP_S = 5.0
CLOSE_IDLE_S = 5.0
"""Close the central connection after this long with nothing to send: thousands of stores
must not each hold a PostgreSQL backend open at head office."""


@dataclass(frozen=True, slots=True)
class ForwardLag:
    """How far behind the central database this store is."""

    pending: int
    oldest_pending_at: datetime | None
    last_forwarded_at: datetime | None
    forwarded_total: int
    records_pending: int = 0
    """Manager completions and follow-up task changes not yet at head office."""

    def describe(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        synced = (
            f"last synced {(now - self.last_forwarded_at).total_seconds():.0f} s ago"
            if self.last_forwarded_at
            else "never synced"
        )
        records = (
            f"; {self.records_pending} record changes waiting" if self.records_pending else ""
        )
        if not self.pending:
            if records:
                return f"central: events up to date{records} ({synced})"
            return f"central: up to date ({self.forwarded_total} forwarded, {synced})"
        age = (now - self.oldest_pending_at).total_seconds() if self.oldest_pending_at else 0.0
        return (
            f"central: {self.pending} events waiting, oldest {age:.0f} s old{records} ({synced})"
        )


def read_mark(session: Session, target: str = TARGET) -> ForwardMark:
    mark = session.get(ForwardMark, target)
    return mark or ForwardMark(target=target, last_event_id=0, forwarded_total=0)


def read_lag(sessions: sessionmaker[Session], store: str) -> ForwardLag:
    """The forwarding lag as the store's database sees it (for `calmdesk watch`)."""
    with sessions() as session:
        mark = read_mark(session)
        waiting = select(EventRow).where(EventRow.id > mark.last_event_id, EventRow.store == store)
        pending = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
        oldest = session.scalar(
            select(func.min(EventRow.recorded_at)).where(
                EventRow.id > mark.last_event_id, EventRow.store == store
            )
        )
        records = 0
        for kind in RECORD_KINDS:
            after = read_mark(session, kind.target).last_event_id
            changed = select(func.count()).where(
                kind.model.revision > after, kind.model.store == store
            )
            records += session.scalar(changed) or 0
        return ForwardLag(pending, oldest, mark.updated_at, mark.forwarded_total or 0, records)


def read_batch(session: Session, store: str, after: int, limit: int) -> list[ForwardedEvent]:
    """The next events to forward, oldest first (see the module notes on ordering)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE events IN SHARE MODE"))
    rows = session.scalars(
        select(EventRow)
        .where(EventRow.id > after, EventRow.store == store)
        .order_by(EventRow.id)
        .limit(limit)
    ).all()
    return [ForwardedEvent.from_row(row) for row in rows]


def advance_mark(
    sessions: sessionmaker[Session], last_event_id: int, count: int, target: str = TARGET
) -> None:
    """Record that the central database committed everything up to ``last_event_id`` (for a
    table of changing records: up to that revision)."""
    with sessions.begin() as session:
        mark = session.get(ForwardMark, target)
        if mark is None:
            mark = ForwardMark(target=target, last_event_id=0, forwarded_total=0)
            session.add(mark)
        mark.last_event_id = max(mark.last_event_id or 0, last_event_id)
        mark.forwarded_total = (mark.forwarded_total or 0) + count
        mark.updated_at = datetime.now(UTC)


class Forwarder:
    """Moves a store's events to the central database on its own thread."""

    def __init__(
        self,
        store: str,
        local_sessions: sessionmaker[Session],
        central_url: str,
        *,
        ready: threading.Event | None = None,
        batch: int = BATCH,
        backoff_cap_s: float = BACKOFF_CAP_S,
    ) -> None:
        self.store = store
        self._local = local_sessions
        self._central_url = central_url
        self._central_engine: Engine | None = None
        self._ready = ready or threading.Event()
        if ready is None:
            self._ready.set()
        self._batch = batch
        self._cap = backoff_cap_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-forwarder", daemon=True)
        self.forwarded = 0
        self.failures = 0
        self.unplaceable = 0
        """Changed records skipped because their incident can never reach head office."""
        self.last_error: str | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The forwarding thread once started, for the hub's watchdog."""
        return self._thread if self._thread.ident else None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        if self._central_engine is not None:
            self._central_engine.dispose()

    def forward_once(self) -> int:
        """Forward one batch of events, then one batch of each kind of changing record; the
        number of events and records the central database now holds for them. Raises on any
        database error (the caller backs off and retries the same batches)."""
        count = self.forward_events()
        for kind in RECORD_KINDS:
            count += self.forward_records(kind)
        return count

    def forward_events(self) -> int:
        with self._local() as session, session.begin():
            mark = read_mark(session)
            batch = read_batch(session, self.store, mark.last_event_id, self._batch)
        if not batch:
            return 0
        ingest_batch(self._central_sessions(), self.store, batch)
        advance_mark(self._local, batch[-1].local_id, len(batch))
        return len(batch)

    def forward_records(self, kind: RecordKind) -> int:
        with self._local() as session, session.begin():
            mark = read_mark(session, kind.target)
            batch = read_records(session, kind, self.store, mark.last_event_id, self._batch)
            # a change whose incident is still among this store's unsent events waits here,
            # with the ones after it, without asking head office
            batch = placeable(session, self.store, read_mark(session).last_event_id, batch)
        if not batch:
            return 0
        done = ingest_records(self._central_sessions(), self.store, batch)
        if done < len(batch):
            # Its incident was forwarded (or never can be: its event is gone from the store),
            # yet head office has no such incident. Waiting would hold every later change back
            # for ever; the row stays in the store, and its next edit is sent again.
            lost = batch[done]
            log.warning(
                "%s row %d (revision %d) not forwarded: head office has no incident with "
                "event id %s, and it is not waiting to be sent",
                kind.table,
                lost.local_id,
                lost.revision,
                lost.incident_event_id,
            )
            self.unplaceable += 1
            advance_mark(self._local, lost.revision, done, kind.target)
        elif done:
            advance_mark(self._local, batch[done - 1].revision, done, kind.target)
        return done

    def _central_sessions(self) -> sessionmaker[Session]:
        if self._central_engine is None:
            self._central_engine = make_central_engine(self._central_url)
        return session_factory(self._central_engine)

    def _run(self) -> None:
        while not self._ready.wait(0.5):
            if self._stopping.is_set():
                return
        attempt = 0
        busy_at = time.monotonic()
        while not self._stopping.is_set():
            if self._central_engine is not None and time.monotonic() - busy_at > CLOSE_IDLE_S:
                self._central_engine.dispose()  # reconnects on the next batch
                busy_at = time.monotonic()
            try:
                count = self.forward_once()
            except Exception as error:  # the thread must outlive any one failure
                attempt += 1
                self.failures += 1
                first_line = (str(error).splitlines() or [""])[0]
                self.last_error = f"{error.__class__.__name__}: {first_line}"
                # full jitter: thousands of stores coming back after an HQ outage spread out
                delay = random.uniform(0, min(self._cap, BACKOFF_FIRST_S * 2 ** min(attempt, 8)))
                expected = isinstance(error, SQLAlchemyError | OSError)
                if not expected:
                    # not an outage: a bug or a bad row. Loud, and the batch is kept, not skipped
                    log.exception("forwarding to central failed unexpectedly; batch kept")
                level = logging.INFO if attempt < 3 and expected else logging.WARNING
                log.log(
                    level,
                    "forwarding to central failed (%s); retry in %.1f s",
                    self.last_error,
                    delay,
                )
                self._stopping.wait(delay)
                continue
            if attempt:
                log.info("forwarding to central resumed after %d failed attempts", attempt)
            attempt = 0
            self.last_error = None
            self.forwarded += count
            if count:
                busy_at = time.monotonic()
            if count < self._batch:
                self._stopping.wait(IDLE_S)


def forwarder_if_configured(
    store: str, local_sessions: sessionmaker[Session], ready: threading.Event
) -> Forwarder | None:
    """The hub's one hook: a forwarder (started with the hub) when CALMDESK_CENTRAL_URL is set."""
    from shared.settings import HubSettings

    url = HubSettings().central_url
    if not url:
        return None
    log.info("store %s forwards its events to the central database", store)
    return Forwarder(store, local_sessions, url, ready=ready)
