"""Topic names: the only place that builds or parses a CalmDesk topic string.

Scheme (v1)::

    calmdesk/v1/<store>/kiosk/<kiosk>/alert      AlertRaised, AlertCancelled, AlertEscalated
    calmdesk/v1/<store>/kiosk/<kiosk>/incident   IncidentReport (only the hub may read it)
    calmdesk/v1/<store>/pager/<pager>/ack        Acknowledged, OnScene, Resolved
    calmdesk/v1/<store>/<kind>/<device>/status   retained Presence (Last Will: offline)
    calmdesk/v1/<store>/hub/<hub>/escalation     AlertEscalated decided by the hub
    calmdesk/v1/<store>/hub/<hub>/alert/<alert>  retained AlertState, cleared when closed
    calmdesk/v1/<store>/hub/<hub>/receipt/<dev>  IncidentRecorded receipts for one device
    calmdesk/v1/<store>/hub/<hub>/roster         retained Roster: the store's devices
    calmdesk/v1/<store>/hub/<hub>/dead_letter    MessageQuarantined notices (for consoles)

The device id is also the MQTT username and client id, so the generated ACL pins every
device to its own subtree.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shared.identifiers import ID_PATTERN

if TYPE_CHECKING:  # the protocol module loads pydantic; topics stay light for `calmdesk alert`
    from shared.protocol import DeviceKind

ROOT = "calmdesk/v1"
Channel = Literal[
    "alert",
    "incident",
    "ack",
    "status",
    "escalation",
    "alert_state",
    "receipt",
    "roster",
    "dead_letter",
]

_ID = re.compile(ID_PATTERN)


class TopicError(ValueError):
    """A topic that is not part of the CalmDesk scheme."""


def _check(*ids: str) -> None:
    for value in ids:
        if not _ID.match(value):
            raise TopicError(f"{value!r} is not a valid id (lowercase letters, digits, - and _)")


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: who sent it, on which channel, about what."""

    store: str
    kind: DeviceKind
    device: str
    channel: Channel
    subject: str | None = None  # alert id for alert_state, device id for receipt


def kiosk_alert(store: str, kiosk: str) -> str:
    _check(store, kiosk)
    return f"{ROOT}/{store}/kiosk/{kiosk}/alert"


def kiosk_incident(store: str, kiosk: str) -> str:
    _check(store, kiosk)
    return f"{ROOT}/{store}/kiosk/{kiosk}/incident"


def pager_ack(store: str, pager: str) -> str:
    _check(store, pager)
    return f"{ROOT}/{store}/pager/{pager}/ack"


def status(store: str, kind: DeviceKind, device: str) -> str:
    _check(store, device)
    return f"{ROOT}/{store}/{kind}/{device}/status"


def hub_escalation(store: str, hub: str) -> str:
    _check(store, hub)
    return f"{ROOT}/{store}/hub/{hub}/escalation"


def hub_alert_state(store: str, hub: str, alert_id: uuid.UUID) -> str:
    _check(store, hub)
    return f"{ROOT}/{store}/hub/{hub}/alert/{alert_id}"


def hub_receipt(store: str, hub: str, device: str) -> str:
    _check(store, hub, device)
    return f"{ROOT}/{store}/hub/{hub}/receipt/{device}"


def hub_roster(store: str, hub: str) -> str:
    _check(store, hub)
    return f"{ROOT}/{store}/hub/{hub}/roster"


def hub_dead_letter(store: str, hub: str) -> str:
    _check(store, hub)
    return f"{ROOT}/{store}/hub/{hub}/dead_letter"


# Subscription filters -------------------------------------------------------------------


def all_kiosk_alerts(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/kiosk/+/alert"


def all_kiosk_incidents(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/kiosk/+/incident"


def all_pager_acks(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/pager/+/ack"


def all_status(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/+/+/status"


def all_hub_escalations(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/hub/+/escalation"


def all_alert_states(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/hub/+/alert/+"


def receipts_for(store: str, device: str) -> str:
    _check(store, device)
    return f"{ROOT}/{store}/hub/+/receipt/{device}"


def all_rosters(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/hub/+/roster"


def all_dead_letters(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/hub/+/dead_letter"


def everything(store: str) -> str:
    _check(store)
    return f"{ROOT}/{store}/#"


def device_subtree(store: str, kind: DeviceKind, device: str) -> str:
    """Everything one device publishes (the hub's per-device intake session reads this)."""
    _check(store, device)
    return f"{ROOT}/{store}/{kind}/{device}/#"


_CHANNELS: dict[tuple[str, str], Channel] = {
    ("kiosk", "alert"): "alert",
    ("kiosk", "incident"): "incident",
    ("pager", "ack"): "ack",
    ("hub", "escalation"): "escalation",
    ("hub", "roster"): "roster",


    ("hub", "dead_letter"): "dead_letter",
}


def parse(topic: str) -> Topic:
    """Split a topic into its parts, or raise TopicError if it is not ours."""
    parts = topic.split("/")
    if len(parts) < 6 or "/".join(parts[:2]) != ROOT:
        raise TopicError(f"not a CalmDesk v1 topic: {topic!r}")
    store, kind, device, channel = parts[2:6]
    rest = parts[6:]
    if kind not in ("kiosk", "pager", "hub"):
        raise TopicError(f"unknown device kind {kind!r} in {topic!r}")
    try:
        _check(store, device)
    except TopicError as error:
        raise TopicError(f"{error} in {topic!r}") from None
    if channel == "status" and not rest:
        return Topic(store, kind, device, "status")  # type: ignore[arg-type]
    if kind == "hub" and channel == "alert" and len(rest) == 1:
        return Topic(store, "hub", device, "alert_state", rest[0])
    if kind == "hub" and channel == "receipt" and len(rest) == 1:
        return Topic(store, "hub", device, "receipt", rest[0])
    known = _CHANNELS.get((kind, channel))
    if known is None or rest:
        raise TopicError(f"unknown channel {channel!r} for a {kind} in {topic!r}")
    return Topic(store, kind, device, known)  # type: ignore[arg-type]
