"""Who may say what: the one authorization rule that every consumer applies.

The broker's ACL is the first wall (a device publishes only under its own topics). This module is
the second, run by the hub before it records anything and by every device before its app sees a
message (:class:`shared.device_runtime.DeviceRuntime`). It is pure: topic, retain flag, the
store's roster and "who raised this alert" in, a :class:`Verdict` out.

The rule (docs/ARCHITECTURE.md, "Who may say what"):

1. The topic is ours, and store and device in the payload are the topic's.
2. The message type belongs on that channel (``CHANNEL_TYPES``).
3. Alerts, acknowledgements, incident reports, rungs and receipts are never retained: a retained
   one is an attempt to page every device that starts later, and is ignored.
4. Event ids cannot be squatted: a ladder rung's id must re-derive from (alert id, step id), and
   every other message must carry a random (version 4) id, so nobody can take a rung's id first.
5. Kind, role, display name and counter come from the roster, never from the payload. A payload
   that disagrees is *corrected* to the roster's values (and the correction is logged): a real
   pager with an outdated device file still gets its acknowledgement through, under its real
   name. A device that is not in the roster, or on a topic of the wrong kind, is refused.
6. Only the kiosk that raised an alert may re-raise, lower or cancel it; only that kiosk or the
   hub may escalate it. A cancel or kiosk rung for an alert nobody here has seen raised is
   refused (MQTT keeps one client's messages in order, so its raise always comes first).
7. A ``sent_at`` more than ``MAX_CLOCK_AHEAD`` in the receiver's future is replaced by the
   receive time; an older one is kept, since messages legitimately wait in outboxes and broker
   queues (and an early rung is safe, a late one is not).

Until a device has heard a roster (a store whose hub has never run), rules 1-4, 6 and 7 still
hold and claims are taken at face value, except kind, which the topic fixes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import topics
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    AlertState,
    IncidentRecorded,
    IncidentReport,
    Message,
    MessageQuarantined,
    OnScene,
    Presence,
    ProtocolError,
    Resolved,
    ResponderMessage,
    Roster,
    RosterEntry,
    decode,
    rung_event_id,
    utc_now,
)

MAX_CLOCK_AHEAD = timedelta(minutes=5)
"""How far in the future a sender's clock may be before its ``sent_at`` is replaced."""

CHANNEL_TYPES: dict[str, tuple[type[Message], ...]] = {
    "alert": (AlertRaised, AlertCancelled, AlertEscalated),
    "incident": (IncidentReport,),
    "ack": (Acknowledged, OnScene, Resolved),
    "status": (Presence,),
    # the hub's own channel: ladder rungs, and alerts it raises itself (a kiosk went dark)
    "escalation": (AlertEscalated, AlertRaised, AlertCancelled),
    "alert_state": (AlertState,),
    "receipt": (IncidentRecorded,),
    "roster": (Roster,),
    "dead_letter": (MessageQuarantined,),
}
"""Which message types each channel may carry: a pager cannot raise an alert, a kiosk cannot
acknowledge one, whatever its payload says."""

NEVER_RETAINED = frozenset({"alert", "incident", "ack", "escalation", "receipt", "dead_letter"})

OwnerOf = Callable[[uuid.UUID], str | None]
"""Who raised an alert (a device id), or None if the caller has not seen it raised."""


def _nobody(_alert_id: uuid.UUID) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one message. Accepted: ``message`` is what to use (claims replaced by the
    roster's, clock bounded) and ``reason`` lists any correction. Refused: ``message`` is None
    and ``reason`` says why, fit for a log line."""

    message: Message | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.message is not None


class RosterIndex:
    """A roster with lookup by device id; ``None`` roster means "not heard yet"."""

    __slots__ = ("_by_id", "roster")

    def __init__(self, roster: Roster | None = None) -> None:
        self.roster = roster
        self._by_id = {entry.id: entry for entry in roster.devices} if roster else {}

    @property
    def known(self) -> bool:
        return self.roster is not None

    def entry(self, device: str) -> RosterEntry | None:
        return self._by_id.get(device)

    def __contains__(self, device: str) -> bool:
        return device in self._by_id


def refuse(reason: str) -> Verdict:
    return Verdict(None, reason)


def counter_of(entry: RosterEntry) -> str:
    """The counter name responders see for a kiosk (the same fallback the kiosk app uses)."""
    return entry.counter or entry.display_name or entry.id


def judge_payload(
    topic: str,
    payload: bytes,
    *,
    retained: bool,
    roster: RosterIndex,
    owner_of: OwnerOf = _nobody,
    now: datetime | None = None,
) -> Verdict:
    """Decode, then :func:`judge`; a payload that does not decode is refused with the reason."""
    try:
        message = decode(payload)
    except ProtocolError as error:
        return refuse(str(error))
    return judge(topic, message, retained=retained, roster=roster, owner_of=owner_of, now=now)


def judge(
    topic: str,
    message: Message,
    *,
    retained: bool,
    roster: RosterIndex,
    owner_of: OwnerOf = _nobody,
    now: datetime | None = None,
) -> Verdict:
    """May ``message``, received on ``topic``, be believed? See the module docstring."""
    try:
        where = topics.parse(topic)
    except topics.TopicError as error:
        return refuse(str(error))
    kind = type(message).__name__
    if not isinstance(message, CHANNEL_TYPES[where.channel]):
        return refuse(f"a {kind} does not belong on the {where.channel} channel ({topic})")
    if message.store != where.store or message.device != where.device:
        return refuse(f"payload claims {message.store}/{message.device} but arrived on {topic}")
    if retained and where.channel in NEVER_RETAINED:
        return refuse(f"retained {kind} on {topic} ignored: {where.channel} is never retained")
    if isinstance(message, AlertState) and where.subject != str(message.alert_id):
        return refuse(f"alert state for {message.alert_id} on {topic}")
    if isinstance(message, IncidentRecorded) and where.subject != message.for_device:
        return refuse(f"receipt for {message.for_device} on {topic}")
    squat = _squatted_id(message)
    if squat:
        return refuse(squat)
    if isinstance(message, Roster):
        return _judge_roster(message, where.device, roster)

    entry = roster.entry(message.device)
    if roster.known:
        if entry is None:
            return refuse(f"{message.device} is not in store {message.store}'s roster")
        if entry.kind != where.kind:
            return refuse(f"{message.device} is a {entry.kind}, not a {where.kind} ({topic})")
    notes: list[str] = []
    corrected = _with_roster_claims(message, entry, where.kind, notes)
    if isinstance(corrected, str):
        return refuse(corrected)
    owner_problem = _ownership(corrected, where.kind, owner_of)
    if owner_problem:
        return refuse(owner_problem)
    now = now or utc_now()
    if corrected.sent_at > now + MAX_CLOCK_AHEAD:
        ahead = corrected.sent_at - now
        notes.append(f"sent_at {ahead} ahead of this clock: receive time used")
        corrected = corrected.model_copy(update={"sent_at": now})
    return Verdict(corrected, "; ".join(notes))


def _squatted_id(message: Message) -> str:
    if isinstance(message, AlertEscalated):
        expected = rung_event_id(message.alert_id, message.step_id)
        if message.event_id != expected:
            return (
                f"rung {message.step_id} of alert {message.alert_id} carries event id "
                f"{message.event_id}, not its derived id {expected}"
            )
        return ""
    if message.event_id.version != 4:
        return (
            f"event id {message.event_id} is not a random (version 4) UUID; derived ids are "
            "reserved for ladder rungs"
        )
    return ""


def _judge_roster(message: Roster, sender: str, roster: RosterIndex) -> Verdict:
    listed = next((entry for entry in message.devices if entry.id == sender), None)
    if listed is None or listed.kind != "hub":
        return refuse(f"a roster from {sender} that does not list {sender} as the hub")
    current = roster.entry(sender)
    if roster.known and (current is None or current.kind != "hub"):
        return refuse(f"a roster from {sender}, which the current roster does not know as a hub")
    return Verdict(message)


_KIND_ROLES = {"kiosk": ("kiosk",), "hub": ("hub",), "pager": ("manager", "security")}


def _with_roster_claims(
    message: Message, entry: RosterEntry | None, topic_kind: str, notes: list[str]
) -> Message | str:
    """The message with the roster's kind, role, name and counter; a str says why it cannot be."""
    update: dict[str, Any] = {}

    def claim(field: str, true_value: object) -> None:
        said = getattr(message, field)
        if said != true_value:
            update[field] = true_value
            notes.append(f"{field} {said!r} replaced by the roster's {true_value!r}")

    role = entry.role if entry is not None else None
    if isinstance(message, Presence):
        if role is None:  # roster unknown: the topic fixes the kind
            claim("kind", topic_kind)
            if message.role not in _KIND_ROLES[topic_kind]:
                return f"a {topic_kind} cannot have role {message.role!r}"
        else:
            if role == "monitor":
                return f"{message.device} is a read-only monitor and has no presence"
            claim("kind", entry.kind)  # type: ignore[union-attr]
            claim("role", role)
            claim("display_name", entry.display_name)  # type: ignore[union-attr]
    elif isinstance(message, ResponderMessage):
        if role is not None:
            if role not in ("manager", "security"):
                return f"{message.device} is a {role} and cannot answer alerts"
            claim("responder_role", role)
            claim("responder_name", entry.display_name or entry.id)  # type: ignore[union-attr]
    elif isinstance(message, AlertRaised | IncidentReport) and entry is not None:
        if entry.kind == "kiosk":
            claim("counter", counter_of(entry))
    if not update:
        return message
    return message.model_copy(update=update)


def _ownership(message: Message, sender_kind: str, owner_of: OwnerOf) -> str:
    if not isinstance(message, AlertRaised | AlertCancelled | AlertEscalated):
        return ""
    owner = owner_of(message.alert_id)
    alert, device = message.alert_id, message.device
    if isinstance(message, AlertRaised):
        if owner is not None and owner != device:
            return f"alert {alert} was raised by {owner}; {device} may not re-raise or lower it"
        return ""
    if isinstance(message, AlertEscalated) and sender_kind == "hub":
        return ""  # the hub escalates any alert
    what = "cancel" if isinstance(message, AlertCancelled) else "escalate"
    if owner is None:
        return f"{device} may not {what} alert {alert}: its raise has not been seen here"
    if owner != device:
        return f"alert {alert} was raised by {owner}; {device} may not {what} it"
    return ""
