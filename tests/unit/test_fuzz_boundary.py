"""Property-based fuzzing of decode() and the authorization rule (issue 9, "Proof").

Thousands of generated payloads, mostly valid messages with a few fields mutated into
something hostile: none may crash; each is either refused with a reason or accepted, and what
is accepted obeys the rule (store and device of the topic, roster's names, nothing retained
where it must not be, re-encodable as it is).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import topics
from shared.authz import NEVER_RETAINED, RosterIndex, judge_payload
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    AlertState,
    CustomerCaution,
    IncidentRecorded,
    IncidentReport,
    Message,
    OnScene,
    Presence,
    ProtocolError,
    Resolved,
    Roster,
    RosterEntry,
    decode,
    encode,
)

FUZZ = settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
S = "s1"
DEVICES = ["hub", "kiosk-1", "kiosk-2", "pager-m1", "pager-s1", "console", "ghost"]
ROSTER = Roster(
    store=S,
    device="hub",
    devices=[
        RosterEntry(id="hub", kind="hub", role="hub"),
        RosterEntry(id="kiosk-1", kind="kiosk", role="kiosk", counter="Counter 1"),
        RosterEntry(id="kiosk-2", kind="kiosk", role="kiosk", counter="Counter 2"),
        RosterEntry(id="pager-m1", kind="pager", role="manager", display_name="Alex"),
        RosterEntry(id="pager-s1", kind="pager", role="security", display_name="Sam"),
        RosterEntry(id="console", kind="pager", role="monitor", display_name="Console"),
    ],
)
ALERTS = [uuid.UUID(int=n) for n in (1, 2)] + [uuid.uuid4()]
NOW = datetime.now(UTC)

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\u0000", "a\u0000b", "\x07bell", "\u2028", "\ufeff", " ", "é" * 201]),
)
hostile_time = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2026-12-01T12:00:00",  # naive
            (NOW + timedelta(days=1)).isoformat(),
            (NOW + timedelta(minutes=10)).isoformat(),
        ]
    ),
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
    hostile_time,
    st.sampled_from([str(a) for a in ALERTS] + DEVICES + ["1.0", "security", "hub"]),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    device = draw(st.sampled_from(DEVICES))
    alert = draw(st.sampled_from(ALERTS))
    common: dict[str, Any] = {"store": draw(st.sampled_from([S, "s2"])), "device": device}
    kind = draw(st.integers(0, 10))
    if kind == 0:
        return AlertRaised(
            **common,
            alert_id=alert,
            level=draw(st.sampled_from(["manager", "security"])),
            counter="Counter",
            context=AlertContext(situation="angry", step_index=1),
        )
    if kind == 1:
        return AlertCancelled(**common, alert_id=alert, reason="false_alarm")
    if kind == 2:
        return AlertEscalated.for_step(alert, draw(st.sampled_from(["a", "b"])), **common)
    if kind in (3, 4, 5):
        cls = (Acknowledged, OnScene, Resolved)[kind - 3]
        return cls(**common, alert_id=alert, responder_name="Sam", responder_role="security")
    if kind == 6:
        return IncidentReport(
            **common,
            incident_id=uuid.uuid4(),
            alert_id=alert,
            counter="Counter",
            outcome="customer_left",
            notes="two\nlines",
            caution=CustomerCaution(description="d", reason="r"),
        )
    if kind == 7:
        return Presence(
            **common,
            kind=draw(st.sampled_from(["kiosk", "pager", "hub"])),
            role=draw(st.sampled_from(["kiosk", "manager", "security", "hub"])),
            online=draw(st.booleans()),
            clean=draw(st.booleans()),
            on_duty=draw(st.booleans()),
        )
    if kind == 8:
        return AlertState(
            **common,
            alert_id=alert,
            kiosk="kiosk-1",
            level="manager",
            status="raised",
            raised_at=NOW,
        )
    if kind == 9:
        return IncidentRecorded(**common, report_event_id=uuid.uuid4(), for_device="kiosk-1")
    return ROSTER.model_copy(update=common)


def own_topic(message: Message) -> str:
    """The topic the sender of ``message`` would use for it."""
    store, device = message.store, message.device
    if isinstance(message, Presence):
        return topics.status(store, message.kind, device)
    if isinstance(message, Acknowledged | OnScene | Resolved):
        return topics.pager_ack(store, device)
    if isinstance(message, IncidentReport):
        return topics.kiosk_incident(store, device)
    if isinstance(message, AlertState):
        return topics.hub_alert_state(store, device, message.alert_id)
    if isinstance(message, IncidentRecorded):
        return topics.hub_receipt(store, device, message.for_device)
    if isinstance(message, Roster):
        return topics.hub_roster(store, device)
    if device == "hub":
        return topics.hub_escalation(store, device)
    return topics.kiosk_alert(store, device)


@st.composite
def payloads(draw: st.DrawFn, message: Message | None = None) -> bytes:
    """A valid message's JSON with some fields replaced, added or removed."""
    data: dict[str, Any] = json.loads(encode(message or draw(messages())))
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=3, unique=True)):
        if draw(st.booleans()):
            data[key] = draw(json_value)
        else:
            del data[key]
    if draw(st.booleans()):
        data[draw(st.text(max_size=10))] = draw(json_value)
    return json.dumps(data).encode()


@st.composite
def topic_for(draw: st.DrawFn) -> str:
    store = draw(st.sampled_from([S, S, "s2"]))
    device = draw(st.sampled_from(DEVICES))
    family = draw(st.integers(0, 8))
    if family == 0:
        return topics.kiosk_alert(store, device)
    if family == 1:
        return topics.kiosk_incident(store, device)
    if family == 2:
        return topics.pager_ack(store, device)
    if family == 3:
        return topics.status(store, draw(st.sampled_from(["kiosk", "pager", "hub"])), device)
    if family == 4:
        return topics.hub_escalation(store, device)
    if family == 5:
        return topics.hub_alert_state(store, device, draw(st.sampled_from(ALERTS)))
    if family == 6:
        return topics.hub_receipt(store, device, draw(st.sampled_from(DEVICES)))
    if family == 7:
        return topics.hub_roster(store, device)
    return draw(st.text(max_size=40))


@FUZZ
@given(st.binary(max_size=300))
def test_decode_never_crashes_on_random_bytes(payload: bytes) -> None:
    try:
        decode(payload)
    except ProtocolError as error:
        assert str(error)


@FUZZ
@given(payloads())
def test_decode_refuses_with_a_reason_or_returns_a_message_that_round_trips(
    payload: bytes,
) -> None:
    try:
        message = decode(payload)
    except ProtocolError as error:
        assert str(error).startswith(("invalid message", "payload of"))
        return
    again = decode(encode(message))
    assert again == message
    text = json.dumps(message.model_dump(mode="json"))
    assert "\\u0000" not in text


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, bytes]:
    """A topic and a payload: the sender's own topic half the time, so much gets accepted."""
    message = draw(messages())
    topic = own_topic(message) if draw(st.booleans()) else draw(topic_for())
    payload = encode(message) if draw(st.booleans()) else draw(payloads(message))
    return topic, payload


@FUZZ
@given(
    delivery=deliveries(),
    retained=st.booleans(),
    known=st.booleans(),
    owner=st.sampled_from([None, *DEVICES]),
)
def test_the_rule_refuses_with_a_reason_or_accepts_what_it_may(
    delivery: tuple[str, bytes], retained: bool, known: bool, owner: str | None
) -> None:
    topic, payload = delivery
    roster = RosterIndex(ROSTER if known else None)
    verdict = judge_payload(
        topic, payload, retained=retained, roster=roster, owner_of=lambda _a: owner
    )
    if not verdict.accepted:
        assert verdict.reason
        return
    message = verdict.message
    assert message is not None
    where = topics.parse(topic)
    assert (message.store, message.device) == (where.store, where.device)
    assert not (retained and where.channel in NEVER_RETAINED)
    assert message.sent_at <= datetime.now(UTC) + timedelta(minutes=5, seconds=5)
    assert decode(encode(message)) == message
    if known:
        entry = ROSTER.entry(message.device)
        assert entry is not None and entry.kind == where.kind
        if isinstance(message, Acknowledged | OnScene | Resolved):
            assert (message.responder_name, message.responder_role) == (
                entry.display_name,
                entry.role,
            )
        if isinstance(message, Presence):
            assert (message.kind, message.role) == (entry.kind, entry.role)
    if isinstance(message, AlertCancelled):
        assert owner == message.device
    if isinstance(message, AlertEscalated) and where.kind != "hub":
        assert owner == message.device
