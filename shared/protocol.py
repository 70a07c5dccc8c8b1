"""The wire contract: every message a CalmDesk device sends, as pydantic v2 models.

Producers build these models and call :func:`encode`; consumers call :func:`decode`, which
rejects anything malformed or oversized with a :class:`ProtocolError` that says why. Nothing
else in the code base formats a payload by hand.

Design notes:
- Every message carries a globally unique ``event_id`` (the idempotency key the recorder
  uses), the schema version, a UTC ``sent_at``, the store and the sending device.
- One incident keeps one ``alert_id`` from the first tap to the last word, even when it is
  raised from Manager to Security or lowered to all clear.
- Unknown fields are ignored so that a newer kiosk can still talk to an older pager; types of
  known fields are validated strictly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from shared.identifiers import ID_PATTERN

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16 * 1024
"""Hard size limit for one encoded message. The broker's max_packet_size is set above it, so a
message that passes this check can never trigger Mosquitto's disconnect loop."""

Identifier = Annotated[str, Field(pattern=ID_PATTERN)]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Timestamps outside these bounds are refused at decode: year 1 or 9999 is never a real clock,
and adding a ladder's seconds to it would overflow. A kiosk whose clock was reset (1970, 2000)
is still heard; the receivers' skew rule (shared/authz.py) then uses the receive time."""

_NEWLINE_AND_TAB = frozenset("\n\r\t")


def _no_control(value: str, allowed: frozenset[str] = frozenset()) -> str:
    """Refuse NUL and other control characters (and lone surrogates): PostgreSQL cannot store
    NUL in text, no screen should render a control code, and SQLite must behave the same."""
    for index, char in enumerate(value):
        code = ord(char)
        if char in allowed:
            continue
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000:
            raise ValueError(f"control character U+{code:04X} at position {index} is not allowed")
    return value


def _no_control_but_lines(value: str) -> str:
    return _no_control(value, _NEWLINE_AND_TAB)


def _bounded_time(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"timestamp {value.isoformat()} is outside {EARLIEST.year}..{LATEST.year - 1}"
        )
    return value


ShortText = Annotated[str, Field(max_length=200), AfterValidator(_no_control)]
"""One line of text: no control characters at all."""
LongText = Annotated[str, Field(max_length=4000), AfterValidator(_no_control_but_lines)]
"""Free text (incident notes): newlines and tabs allowed, no other control characters."""
Timestamp = Annotated[AwareDatetime, AfterValidator(_bounded_time)]

Level = Literal["manager", "security"]
DeviceKind = Literal["kiosk", "pager", "hub"]
Role = Literal["kiosk", "manager", "security", "hub"]
DeviceRole = Literal["kiosk", "manager", "security", "hub", "monitor"]
ResponderRole = Literal["manager", "security"]
RiskLevel = Literal["low", "medium", "high"]

ESCALATION_NAMESPACE = uuid.UUID("6f1c7a52-1d0e-4c38-9f57-4f0d1a3b2c10")


class ProtocolError(ValueError):
    """A payload that cannot be accepted, with a reason fit for a log line."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Fields every message shares."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: StrictInt = SCHEMA_VERSION
    sent_at: Timestamp = Field(default_factory=utc_now)
    store: Identifier
    device: Identifier
    drill: bool = False

    @field_validator("sent_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: int) -> int:
        # strict int: 1.0 and true are refused (JSON mode would otherwise accept them)
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema version {value} is not supported (this build speaks 1)")
        return value


class AlertContext(BaseModel):
    """What the responder should know before arriving: what has been tried so far."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    situation: Identifier | None = None
    step_index: int | None = Field(default=None, ge=0, le=99)
    step_count: int | None = Field(default=None, ge=0, le=99)
    risk: RiskLevel | None = None
    flow_started_at: Timestamp | None = None


class AlertRaised(Message):
    """A kiosk asks for help. Raising again with the same alert_id changes the level."""

    type: Literal["alert_raised"] = "alert_raised"
    alert_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    level: Level
    silent: bool = False
    counter: ShortText
    context: AlertContext = AlertContext()


class AlertCancelled(Message):
    """The kiosk closes its own alert: a false alarm, or calmed at the counter."""

    type: Literal["alert_cancelled"] = "alert_cancelled"
    alert_id: uuid.UUID
    reason: Literal["false_alarm", "resolved_at_counter", "device_back_online"]


class AlertEscalated(Message):
    """One rung of the escalation ladder was reached.

    The event id is derived from (alert_id, step_id), so the kiosk and the hub may both run the
    timers and the recorder still stores each rung once.
    """

    type: Literal["alert_escalated"] = "alert_escalated"
    alert_id: uuid.UUID
    step_id: Identifier
    notify_roles: list[ResponderRole] = Field(default_factory=list, max_length=2)
    extra_responders: int = Field(default=0, ge=0, le=50)
    call_for_help: bool = False
    reason: ShortText = ""

    @classmethod
    def for_step(cls, alert_id: uuid.UUID, step_id: str, **fields: object) -> AlertEscalated:
        event_id = rung_event_id(alert_id, step_id)
        return cls(event_id=event_id, alert_id=alert_id, step_id=step_id, **fields)


def rung_event_id(alert_id: uuid.UUID, step_id: str) -> uuid.UUID:
    """The one event id of a ladder rung: whoever publishes it, it is recorded once."""
    return uuid.uuid5(ESCALATION_NAMESPACE, f"{alert_id}/{step_id}")


class ResponderMessage(Message):
    alert_id: uuid.UUID
    responder_name: ShortText
    responder_role: ResponderRole


class Acknowledged(ResponderMessage):
    """A responder is on the way."""

    type: Literal["acknowledged"] = "acknowledged"
    eta_minutes: int | None = Field(default=None, ge=0, le=120)


class OnScene(ResponderMessage):
    type: Literal["on_scene"] = "on_scene"


class Resolved(ResponderMessage):
    type: Literal["resolved"] = "resolved"
    note: ShortText = ""


Outcome = Literal[
    "resolved_on_spot",
    "refund_discount_exchange",
    "handed_to_manager",
    "customer_left",
    "security_removed",
    "police_called",
]
ViolenceType = Literal["none", "verbal_abuse", "threat", "physical", "property_damage", "weapon"]
Perpetrator = Literal["customer", "stranger", "coworker", "personal"]
"""Who it was, as violent-incident logs classify it (SB 553's types 2, 1, 3 and 4), never a name."""


class CustomerCaution(BaseModel):
    """A short caution note about a customer. Needs a manager's approval before others see it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: ShortText
    reason: ShortText


class IncidentReport(Message):
    """The wrap-up after an incident or a near miss. Free text: only the hub may read it."""

    type: Literal["incident_report"] = "incident_report"
    incident_id: uuid.UUID
    alert_id: uuid.UUID | None = None
    counter: ShortText
    situation: Identifier | None = None
    steps_reached: int = Field(default=0, ge=0, le=99)
    near_miss: bool = False
    outcome: Outcome
    violence_type: ViolenceType = "none"
    perpetrator: Perpetrator = "customer"
    alone_or_unable_to_get_help: bool = False
    injuries: bool = False
    notes: LongText = ""
    follow_up_needed: bool = False
    follow_up_due: Timestamp | None = None
    caution: CustomerCaution | None = None
    completed_by_role: Literal["staff", "manager"] = "staff"
    started_at: Timestamp | None = None


class IncidentRecorded(Message):
    """The hub's receipt: the incident report is committed to the database."""

    type: Literal["incident_recorded"] = "incident_recorded"
    report_event_id: uuid.UUID
    for_device: Identifier


class Presence(Message):
    """Retained per-device status; the Last Will publishes the unclean-offline variant."""

    type: Literal["presence"] = "presence"
    kind: DeviceKind
    role: Role
    online: bool
    on_duty: bool = False
    display_name: ShortText = ""
    clean: bool = True
    session_started_at: Timestamp | None = None
    """When this connection began. The Last Will carries the same value, so a will overrides
    exactly the messages of its own session and never a newer one."""


class RosterEntry(BaseModel):
    """One device as the store's registry knows it: who it is, never what it says it is."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Identifier
    kind: DeviceKind
    role: DeviceRole
    display_name: ShortText = ""
    counter: ShortText = ""


class Roster(Message):
    """The store's devices, published retained by the hub alone (see shared/authz.py).

    Every consumer takes kind, role, display name and counter from here, never from a payload,
    so a device provisioned later is recognised without reinstalling the others.
    """

    type: Literal["roster"] = "roster"
    devices: list[RosterEntry] = Field(default_factory=list, max_length=150)

    def entry(self, device: str) -> RosterEntry | None:
        return next((entry for entry in self.devices if entry.id == device), None)


AlertStatus = Literal["raised", "acknowledged", "on_scene", "resolved", "cancelled"]


class AlertState(Message):
    """The hub's retained view of one open alert, so a pager that reconnects knows where it is."""

    type: Literal["alert_state"] = "alert_state"
    alert_id: uuid.UUID
    kiosk: Identifier
    counter: ShortText = ""
    level: Level
    silent: bool = False
    status: AlertStatus
    raised_at: Timestamp
    responders: list[ShortText] = Field(default_factory=list, max_length=50)
    escalation_steps: int = Field(default=0, ge=0)


class MessageQuarantined(Message):
    """The hub kept a message aside instead of recording it (its dead letters): the database
    refused the content, or the event id already belonged to a different message. Someone
    should look; the raw payload is in the hub's database, never in this notice."""

    type: Literal["message_quarantined"] = "message_quarantined"
    kind: Literal["refused", "collision"]
    topic: Annotated[str, Field(max_length=300)]
    quarantined_event_id: uuid.UUID | None = None
    reason: ShortText


AnyMessage = Annotated[
    AlertRaised
    | AlertCancelled
    | AlertEscalated
    | Acknowledged
    | OnScene
    | Resolved
    | IncidentReport
    | IncidentRecorded
    | Presence
    | AlertState
    | Roster
    | MessageQuarantined,
    Field(discriminator="type"),
]
_ANY = TypeAdapter(AnyMessage)


def encode(message: Message) -> bytes:
    """Serialise a message, refusing it if it would exceed the size limit."""
    payload = message.model_dump_json().encode("utf-8")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            f"{message.__class__.__name__} is {len(payload)} bytes, over the "
            f"{MAX_PAYLOAD_BYTES}-byte limit; shorten its free-text fields"
        )
    return payload


def decode(payload: bytes) -> Message:
    """Parse and validate any CalmDesk payload, or raise ProtocolError with the reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return _ANY.validate_json(payload, strict=True)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise ProtocolError(f"invalid message: {where}: {first['msg']}{more}") from None
