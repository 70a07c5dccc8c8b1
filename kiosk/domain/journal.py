"""The kiosk's alert journal: its one open alert survives a restart of the kiosk process.

The outbox keeps *sending* across a crash, and the hub keeps *escalating*, but the staff
member's screen is the kiosk process's memory. Without this file a kiosk restarted mid-alert
(crash, power blip, OS update) would come back on the home screen: no status panel, no
"NOT DELIVERED", no "Sam is on the way", no kiosk-side ladder. That is "never silent" broken
exactly when something is already going wrong.

So every protocol message the escalation controller applies to its open alert (its own
raises, upgrades, cancels and rungs, and the acknowledgements, on-scene, resolutions and hub
rungs it received) is appended here, with the flow context the panel and the wrap-up need
(situation, step) and whether the wrap-up was started. At start the kiosk reads it back and
folds the messages into a fresh controller: the reducer is a function of the *set* of
messages, so the restored view is the view before the crash, and the ladder counts from the
original raise time because that is in the messages.

Format: JSON lines in ``<data_dir>/kiosk/<device>-alert.jsonl``, each line one record with a
version, fsynced before :meth:`AlertJournal.append` returns. A line that cannot be read (a
write cut off by a power cut, a damaged disk, a record from a newer version) is skipped with
a logged reason, and the file is rewritten without it so later appends start on a clean line.
Every write error is logged and swallowed: the journal must never stop an alert from being
raised (the outbox is what guarantees delivery; this only restores the screen).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from shared.alerts.state import ALERT_MESSAGE_TYPES, AlertMessage
from shared.durable_lines import DurableLines
from shared.protocol import AlertRaised, Message, decode

log = logging.getLogger(__name__)

JOURNAL_VERSION = 1
Stored = Literal["queued", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class FlowSnapshot:
    """Where the staff member was in the guided flow (what the panel and wrap-up show)."""

    situation: str | None = None
    step_index: int = 0
    max_step_reached: int = 0
    started_at: datetime | None = None
    triage_route: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "situation": self.situation,
            "step_index": self.step_index,
            "max_step_reached": self.max_step_reached,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "triage_route": self.triage_route,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlowSnapshot:
        started = data.get("started_at")
        started_at = datetime.fromisoformat(started) if started else None
        if started_at is not None and started_at.tzinfo is None:
            raise ValueError("started_at has no time zone")
        situation, route = data.get("situation"), data.get("triage_route")
        if situation is not None and not isinstance(situation, str):
            raise ValueError("situation is not a string")
        if route not in (None, "manager", "security"):
            raise ValueError(f"unknown triage route {route!r}")
        step, reached = int(data.get("step_index", 0)), int(data.get("max_step_reached", 0))
        if not 0 <= step <= 99 or not 0 <= reached <= 99:
            raise ValueError("step out of range")
        return cls(situation, step, max(step, reached), started_at, route)

    @classmethod
    def from_raise(cls, raised: AlertRaised) -> FlowSnapshot:
        """The flow as the raise described it (when no flow record made it to disk)."""
        context = raised.context
        step = context.step_index or 0
        return cls(context.situation, step, step, context.flow_started_at, None)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    message: AlertMessage
    own: bool
    """Written by this kiosk (its delivery state comes from the outbox), or received."""


@dataclass(slots=True)
class Journaled:
    """What the journal holds for its one alert, after skipping anything unreadable."""

    alert_id: uuid.UUID | None = None
    entries: list[JournalEntry] = field(default_factory=list)
    flow: FlowSnapshot | None = None
    wrapup_started: bool = False
    skipped: int = 0

    @property
    def own_raises(self) -> list[AlertRaised]:
        return [e.message for e in self.entries if e.own and isinstance(e.message, AlertRaised)]


class StoredEntries(Protocol):
    """The outbox as the journal needs it (``shared.outbox.Outbox`` satisfies this)."""

    def get(self, event_id: uuid.UUID) -> Any: ...


def outbox_delivery(outbox: StoredEntries | None) -> Callable[[uuid.UUID], Stored]:
    """How a restored message of our own stands: still in the outbox → queued (a moved-aside
    entry → failed); gone from it → the broker took it, so delivered."""

    def delivery(event_id: uuid.UUID) -> Stored:
        entry = outbox.get(event_id) if outbox is not None else None
        if entry is None:
            return "delivered"
        return "failed" if entry.state == "dead" else "queued"

    return delivery


class AlertJournal:
    """Append-only, fsynced record of the kiosk's one open alert (UI thread only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        """The last write error, if any (logged loudly; the alert itself goes on)."""
        self._file = DurableLines(path)

    @classmethod
    def for_device(cls, data_dir: Path, device: str) -> AlertJournal:
        return cls(data_dir / "kiosk" / f"{device}-alert.jsonl")

    # Writing ---------------------------------------------------------------------------

    def record_message(
        self,
        message: Message,
        *,
        own: bool,
        flow: FlowSnapshot | None = None,
        fresh: bool = False,
    ) -> None:
        """One applied message; ``flow`` rides along (a raise); ``fresh`` starts a new file."""
        record = {"kind": "message", "own": own, "message": json.loads(message.model_dump_json())}
        if flow is not None:
            record["flow"] = flow.to_json()
        self.append(record, fresh=fresh)

    def record_flow(self, alert_id: uuid.UUID, flow: FlowSnapshot) -> None:
        self.append({"kind": "flow", "alert_id": str(alert_id), "flow": flow.to_json()})

    def record_wrapup(self, alert_id: uuid.UUID) -> None:
        self.append({"kind": "wrapup", "alert_id": str(alert_id)})

    def append(self, record: dict[str, Any], *, fresh: bool = False) -> None:
        line = json.dumps({"v": JOURNAL_VERSION, **record}, separators=(",", ":"))
        try:
            self._file.append(line.encode("utf-8"), fresh=fresh)
        except OSError as error:
            self.error = str(error)
            log.exception(
                "alert journal %s: could not write a %s record", self.path, record["kind"]
            )

    def clear(self) -> None:
        """The alert is over (closed and wrapped up, or dismissed): nothing to restore."""
        try:
            self._file.remove()
        except OSError as error:
            self.error = str(error)
            log.exception("alert journal %s: could not clear it", self.path)

    # Reading ---------------------------------------------------------------------------

    def load(self) -> Journaled:
        """Read every good record back; skip (and log) every bad one; never raise."""
        result = Journaled()
        try:
            content = self._file.read()
        except OSError as error:
            log.error("alert journal %s: unreadable, nothing restored: %s", self.path, error)
            return result
        if content is None:
            return result
        lines, clean_end = content
        records: list[tuple[int, bytes, dict[str, Any]]] = []
        for number, line in lines:
            try:
                record = _parse(line)
            except Exception as error:  # whatever is wrong with one line, start must go on
                result.skipped += 1
                log.warning("alert journal %s: skipped line %d: %s", self.path, number, error)
                continue
            records.append((number, line, record))
        raises = [r["message"] for _, _, r in records if r["kind"] == "message" and r["own"]]
        raises = [m for m in raises if isinstance(m, AlertRaised)]
        if raises:
            result.alert_id = max(raises, key=lambda m: m.sent_at).alert_id
        kept: list[bytes] = []
        for number, line, record in records:
            if record["alert_id"] != result.alert_id:
                result.skipped += 1
                log.warning(
                    "alert journal %s: skipped line %d: about alert %s, not the current one (%s)",
                    self.path,
                    number,
                    record["alert_id"],
                    result.alert_id or "no readable raise",
                )
                continue
            kept.append(line)
            if record["kind"] == "message":
                result.entries.append(JournalEntry(record["message"], record["own"]))
                result.flow = record["flow"] or result.flow
            elif record["kind"] == "flow":
                result.flow = record["flow"]
            else:
                result.wrapup_started = True
        if result.skipped or not clean_end:
            self._rewrite(kept)
        return result

    def _rewrite(self, lines: list[bytes]) -> None:
        """Keep only the good lines, so the next append starts on a clean line."""
        try:
            self._file.rewrite(lines)
        except OSError as error:
            self.error = str(error)
            log.exception("alert journal %s: could not rewrite it", self.path)


def _parse(line: bytes) -> dict[str, Any]:
    """One journal line as ``{"kind", "alert_id", ...}`` with typed values, or raise."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if record.get("v") != JOURNAL_VERSION:
        raise ValueError(f"unknown journal version {record.get('v')!r}")
    kind = record.get("kind")
    if kind == "message":
        message = decode(json.dumps(record["message"]).encode("utf-8"))
        if not isinstance(message, ALERT_MESSAGE_TYPES):
            raise ValueError(f"a {message.type} is not an alert message")
        own = record.get("own")
        if not isinstance(own, bool):
            raise ValueError("'own' is missing")
        flow = record.get("flow")
        return {
            "kind": kind,
            "alert_id": message.alert_id,
            "message": message,
            "own": own,
            "flow": None if flow is None else _flow(flow),
        }
    if kind == "flow":
        alert_id = uuid.UUID(record["alert_id"])
        return {"kind": kind, "alert_id": alert_id, "flow": _flow(record["flow"])}
    if kind == "wrapup":
        return {"kind": kind, "alert_id": uuid.UUID(record["alert_id"])}
    raise ValueError(f"unknown record kind {kind!r}")


def _flow(data: object) -> FlowSnapshot:
    if not isinstance(data, dict):
        raise ValueError("flow is not an object")
    return FlowSnapshot.from_json(data)
