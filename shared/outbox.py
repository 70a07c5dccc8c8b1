"""A device's durable outbox: a message is on disk before it is published.

SQLite in WAL mode with ``synchronous=FULL``, so a committed entry survives a power cut.
An entry moves through these states:

``pending``   stored, not yet confirmed by the broker (sent again after a restart)
``awaiting``  the broker has it, but the message needs an application receipt (incident
              reports wait for the hub's "recorded"), so it is kept and re-sent until then
``dead``      the broker rejected it for a reason retrying cannot fix; kept for inspection,
              never again sent ahead of newer alerts

A delivered entry is deleted. Nothing is ever dropped silently: a dead entry is logged as an
error and stays in the file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from shared.private_files import create_private

log = logging.getLogger(__name__)

EntryState = Literal["pending", "awaiting", "dead"]
MAX_ATTEMPTS = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL DEFAULT 0,
    needs_receipt INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)
"""


class OutboxError(RuntimeError):
    """The outbox could not store a message (disk full, file unwritable)."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    event_id: uuid.UUID
    topic: str
    payload: bytes
    retain: bool
    needs_receipt: bool
    state: EntryState
    attempts: int
    last_error: str


class Outbox:
    """Thread-safe: the app thread adds entries, the network thread confirms them."""

    def __init__(self, path: Path) -> None:
        create_private(path)  # queued alerts and incident notes; -wal/-shm inherit the mode
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"outbox {self.path}: {error}") from error

    def put(
        self,
        event_id: uuid.UUID,
        topic: str,
        payload: bytes,
        *,
        retain: bool = False,
        needs_receipt: bool = False,
    ) -> bool:
        """Store a message durably. Returns False if this event id is already stored."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO outbox"
                " (event_id, topic, payload, retain, needs_receipt, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(event_id),
                    topic,
                    payload,
                    int(retain),
                    int(needs_receipt),
                    datetime.now(UTC).isoformat(),
                ),
            )
            return cursor.rowcount == 1

    def entries(self, *states: EntryState) -> list[OutboxEntry]:
        """Entries in the given states (all live ones by default), oldest first."""
        wanted = states or ("pending", "awaiting")
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, topic, payload, retain, needs_receipt, state, attempts,"
                " last_error FROM outbox ORDER BY seq"
            ).fetchall()
        rows = [row for row in rows if row[6] in wanted]
        return [
            OutboxEntry(
                seq=row[0],
                event_id=uuid.UUID(row[1]),
                topic=row[2],
                payload=bytes(row[3]),
                retain=bool(row[4]),
                needs_receipt=bool(row[5]),
                state=row[6],
                attempts=row[7],
                last_error=row[8],
            )
            for row in rows
        ]

    def get(self, event_id: uuid.UUID) -> OutboxEntry | None:
        return next(
            (e for e in self.entries("pending", "awaiting", "dead") if e.event_id == event_id), None
        )

    def broker_accepted(self, event_id: uuid.UUID) -> None:
        """The broker PUBACKed it: done, unless the message waits for an application receipt."""
        with self._write() as db:
            db.execute(
                "DELETE FROM outbox WHERE event_id = ? AND needs_receipt = 0", (str(event_id),)
            )
            db.execute(
                "UPDATE outbox SET state = 'awaiting' WHERE event_id = ? AND state = 'pending'",
                (str(event_id),),
            )

    def receipt(self, event_id: uuid.UUID) -> bool:
        """The consumer confirmed it is recorded: remove it. True if it was here."""
        with self._write() as db:
            return (
                db.execute("DELETE FROM outbox WHERE event_id = ?", (str(event_id),)).rowcount == 1
            )

    def broker_rejected(self, event_id: uuid.UUID, reason: str, *, retryable: bool) -> EntryState:
        """Count a failed attempt; move the entry aside if retrying cannot help."""
        with self._write() as db:
            row = db.execute(
                "SELECT attempts FROM outbox WHERE event_id = ?", (str(event_id),)
            ).fetchone()
            if row is None:
                return "dead"
            attempts = row[0] + 1
            state: EntryState = "pending" if retryable and attempts < MAX_ATTEMPTS else "dead"
            db.execute(
                "UPDATE outbox SET attempts = ?, last_error = ?, state = ? WHERE event_id = ?",
                (attempts, reason, state, str(event_id)),
            )
        if state == "dead":
            log.error(
                "outbox %s: message %s moved aside after %d attempt(s): %s",
                self.path,
                event_id,
                attempts,
                reason,
            )
        return state

    def count(self, *states: EntryState) -> int:
        return len(self.entries(*states))
