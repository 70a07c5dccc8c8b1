"""The pager's alert journal: today's alerts survive a restart of the pager app.

The broker's persistent session re-delivers only what the pager had not received yet, so
without this file a pager restarted mid-incident (phone reboot, app update) would come back
with an empty "Today" history and without the alert its holder had just acknowledged.

Every alert protocol message the pager core takes (received, or produced by its own actions)
is appended here as one JSON line, fsynced before :meth:`PagerJournal.append` returns, with
when it arrived and whether the alert arrived late. At start :meth:`PagerJournal.load` reads
it back and :meth:`~staff_app.domain.pager.PagerCore.restore` folds it into a fresh core: the
reducer is a function of the *set* of messages and deduplicates by event id, so replay plus
whatever the session re-delivers gives the same book as before the restart.

Format: ``<data_dir>/pager/<device>-alerts.jsonl``, each line
``{"v": 1, "received_at": ISO, "late": bool|null, "message": {...protocol message...}}``.

At load: a line that cannot be read (cut off by a power cut, damaged, from a newer version,
not an alert message) is skipped with a logged reason; closed alerts raised before today
(local date) are pruned, and so are stray messages (no raise on file) sent before today.
Open alerts are kept whatever their date: someone still needs to answer them. If anything
was dropped the file is rewritten atomically, so later appends start on a clean line.
Write errors are logged and swallowed: the journal must never stop the pager from showing
or answering an alert.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from shared.alerts.state import ALERT_MESSAGE_TYPES, AlertMessage, fold
from shared.durable_lines import DurableLines
from shared.protocol import AlertRaised, Message, decode

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One message as the pager took it."""

    message: AlertMessage
    received_at: datetime
    late: bool | None
    """Whether the alert arrived late (set on the record that made the alert known)."""

    def to_line(self) -> bytes:
        record = {
            "v": JOURNAL_VERSION,
            "received_at": self.received_at.isoformat(),
            "late": self.late,
            "message": json.loads(self.message.model_dump_json()),
        }
        return json.dumps(record, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass(slots=True)
class Loaded:
    """What :meth:`PagerJournal.load` found: the good records, and what it dropped."""

    records: list[JournalRecord] = field(default_factory=list)
    skipped: int = 0
    """Unreadable lines."""
    pruned: int = 0
    """Good lines about alerts from before today."""


class PagerJournal:
    """Append-only, fsynced record of the alert messages a pager took (UI thread only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        """The last write error, if any (logged loudly; the pager goes on)."""
        self._file = DurableLines(path)
        self._written: set[uuid.UUID] = set()

    @classmethod
    def for_device(cls, data_dir: Path, device: str) -> PagerJournal:
        return cls(data_dir / "pager" / f"{device}-alerts.jsonl")

    # Writing ---------------------------------------------------------------------------

    def append(self, message: Message, *, received_at: datetime, late: bool | None) -> bool:
        """Record one alert message (once per event id); True if it was written now."""
        if not isinstance(message, ALERT_MESSAGE_TYPES) or message.event_id in self._written:
            return False
        line = JournalRecord(message, received_at, late).to_line()
        try:
            self._file.append(line)
        except OSError as error:
            self.error = str(error)
            log.exception("pager journal %s: could not write a %s", self.path, message.type)
            return False
        self._written.add(message.event_id)
        return True

    # Reading ---------------------------------------------------------------------------

    def load(self, today: date) -> Loaded:
        """Read the journal back, skipping bad lines and pruning before ``today``; never raises.

        ``today`` is the local date; an alert belongs to the local date of its raise.
        """
        result = Loaded()
        try:
            content = self._file.read()
        except OSError as error:
            log.error("pager journal %s: unreadable, nothing restored: %s", self.path, error)
            return result
        if content is None:
            return result
        lines, clean_end = content
        parsed: list[tuple[bytes, JournalRecord]] = []
        seen: set[uuid.UUID] = set()
        for number, line in lines:
            try:
                record = _parse(line)
            except Exception as error:  # whatever is wrong with one line, start must go on
                result.skipped += 1
                log.warning("pager journal %s: skipped line %d: %s", self.path, number, error)
                continue
            if record.message.event_id in seen:  # harmless, but no need to keep it twice
                result.pruned += 1
                continue
            seen.add(record.message.event_id)
            parsed.append((line, record))
        stale = _stale_alerts([record for _, record in parsed], today)
        kept: list[bytes] = []
        for line, record in parsed:
            if record.message.alert_id in stale:
                result.pruned += 1
                continue
            kept.append(line)
            result.records.append(record)
            self._written.add(record.message.event_id)
        if result.pruned:
            log.info(
                "pager journal %s: pruned %d record(s) from before %s",
                self.path,
                result.pruned,
                today,
            )
        if result.skipped or result.pruned or not clean_end:
            self._rewrite(kept)
        return result

    def _rewrite(self, lines: list[bytes]) -> None:
        """Keep only ``lines``, so the next append starts on a clean line."""
        try:
            self._file.rewrite(lines)
        except OSError as error:
            self.error = str(error)
            log.exception("pager journal %s: could not rewrite it", self.path)


def _stale_alerts(records: list[JournalRecord], today: date) -> set[uuid.UUID]:
    """Alerts to forget: closed and raised before today, or with no raise and nothing sent
    today. Open alerts stay, however old: they still need someone."""
    by_alert: dict[uuid.UUID, list[AlertMessage]] = {}
    for record in records:
        by_alert.setdefault(record.message.alert_id, []).append(record.message)
    stale: set[uuid.UUID] = set()
    for alert_id, messages in by_alert.items():
        if any(isinstance(m, AlertRaised) for m in messages):
            view = fold(messages)
            if view is not None and view.closed and _local(view.raised_at) < today:
                stale.add(alert_id)
        elif max(_local(m.sent_at) for m in messages) < today:
            stale.add(alert_id)
    return stale


def _local(moment: datetime) -> date:
    return moment.astimezone().date()


def _parse(line: bytes) -> JournalRecord:
    record: Any = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if record.get("v") != JOURNAL_VERSION:
        raise ValueError(f"unknown journal version {record.get('v')!r}")
    if "message" not in record:
        raise ValueError("no message")
    message = decode(json.dumps(record["message"]).encode("utf-8"))
    if not isinstance(message, ALERT_MESSAGE_TYPES):
        raise ValueError(f"a {message.type} is not an alert message")
    received_at = datetime.fromisoformat(str(record["received_at"]))
    if received_at.tzinfo is None:
        raise ValueError("received_at has no time zone")
    late = record.get("late")
    if late is not None and not isinstance(late, bool):
        raise ValueError("'late' is not a boolean")
    return JournalRecord(message, received_at, late)
