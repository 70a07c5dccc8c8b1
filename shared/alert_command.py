"""``calmdesk alert``: raise an alert as a kiosk from a script or a hardware panic button.

A button press starts a fresh process, so start-up is part of the alarm's latency. This module
therefore loads only the standard library, paho (through ``MqttLink``) and the outbox: no
pydantic, no SQLAlchemy, no Kivy. The guarantees are the kiosk app's own: the alert is written
to the kiosk's outbox with an fsync before it is published, the broker's PUBACK reason code
decides "delivered", and the message is checked before it is stored.

The check is not weaker for being light. The command builds the message itself from the
device file and two flags, so what can vary is small: the ids (checked against the id syntax),
the level (one of two) and the counter name. The payload is written field by field in the
order and format of ``shared.protocol.AlertRaised.model_dump_json``; a counter name with
anything unusual in it (surrounding or non-printable whitespace, control characters) is built
by the pydantic model instead. ``tests/unit/test_quick_alert.py`` checks that both paths
produce the same bytes and that ``decode`` accepts them.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from shared import topics
from shared.courier import Courier
from shared.device_file import DeviceFile, device_file_path, outbox_path, read_device_file
from shared.identifiers import ID_PATTERN
from shared.mqtt_link import BrokerAddress, MqttLink
from shared.outbox import Outbox

LEVELS = ("manager", "security")
COUNTER_MAX = 200  # ShortText in shared.protocol; a payload is then far below the 16 KiB limit
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True, slots=True)
class AlertPayload:
    event_id: uuid.UUID
    alert_id: uuid.UUID
    payload: bytes


def _timestamp(moment: datetime) -> str:
    """pydantic's JSON form of an aware UTC datetime: microseconds only when non-zero, 'Z'."""
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return f"{moment:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def _plain(text: str) -> bool:
    """Text whose pydantic form is itself: nothing to strip, nothing to escape but quotes."""
    return text == text.strip() and text.isprintable()


def alert_payload(
    *,
    store: str,
    device: str,
    level: str,
    counter: str,
    silent: bool = False,
    drill: bool = False,
    event_id: uuid.UUID | None = None,
    alert_id: uuid.UUID | None = None,
    sent_at: datetime | None = None,
) -> AlertPayload:
    """An encoded ``AlertRaised``, checked; ValueError if a field is not acceptable."""
    event_id = event_id or uuid.uuid4()
    alert_id = alert_id or uuid.uuid4()
    sent_at = (sent_at or datetime.now(UTC)).astimezone(UTC)
    for name, value in (("store", store), ("device", device)):
        if not _ID.match(value):
            raise ValueError(f"{name} {value!r} is not a valid id")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if not _plain(counter) or len(counter) > COUNTER_MAX:
        from shared.protocol import AlertRaised, encode  # the full model decides

        message = AlertRaised(
            event_id=event_id,
            alert_id=alert_id,
            sent_at=sent_at,
            store=store,
            device=device,
            level=level,  # type: ignore[arg-type]
            silent=silent,
            drill=drill,
            counter=counter,
        )
        return AlertPayload(event_id, alert_id, encode(message))
    fields = {
        "event_id": str(event_id),
        "schema_version": 1,
        "sent_at": _timestamp(sent_at),
        "store": store,
        "device": device,
        "drill": drill,
        "type": "alert_raised",
        "alert_id": str(alert_id),
        "level": level,
        "silent": silent,
        "counter": counter,
        "context": {
            "situation": None,
            "step_index": None,
            "step_count": None,
            "risk": None,
            "flow_started_at": None,
        },
    }
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return AlertPayload(event_id, alert_id, text.encode("utf-8"))


def _kiosk(args: argparse.Namespace) -> DeviceFile:
    config = read_device_file(device_file_path(args.data_dir, args.kiosk))
    if config.role != "kiosk":
        raise SystemExit(f"{config.device} is a {config.role}, not a kiosk")
    return config


def raise_alert(args: argparse.Namespace) -> int:
    """Raise an alert through the kiosk's own outbox; report honestly what happened."""
    config = _kiosk(args)
    statuses: queue.Queue[tuple[uuid.UUID, str, str]] = queue.Queue()
    # The client id is the kiosk's, so this shares its persistent session: keep the session
    # (no clean start) and acknowledge nothing (manual ack, no handler), so whatever waits
    # there for the kiosk reaches the kiosk's app when it reconnects.
    link = MqttLink(
        device_id=config.device,
        password=config.password,
        address=BrokerAddress(config.broker_host, config.broker_port, config.tls_ca_file),
        manual_ack=True,
    )
    outbox = Outbox(outbox_path(args.data_dir, config.device))
    courier = Courier(link, outbox, lambda *status: statuses.put(status))
    alert = alert_payload(
        store=config.store,
        device=config.device,
        level=args.level,
        silent=args.silent,
        drill=args.drill,
        counter=config.counter or config.display_name or config.device,
    )
    link.start()
    courier.resume()  # what an earlier run could not deliver goes first
    courier.send_encoded(
        alert.event_id, topics.kiosk_alert(config.store, config.device), alert.payload
    )
    label = f"{'DRILL ' if args.drill else ''}{args.level} alert {alert.alert_id}"
    deadline = time.monotonic() + args.wait
    try:
        while True:
            remaining = deadline - time.monotonic()
            event_id, status, detail = statuses.get(timeout=max(remaining, 0.01))
            if event_id != alert.event_id:
                continue
            if status == "delivered":
                print(f"{label}: delivered to the store broker ({detail})", flush=True)
                return 0
            if status == "failed":
                print(f"{label}: NOT DELIVERED, the broker refused it: {detail}")
                return 2
    except queue.Empty:
        print(
            f"{label}: NOT DELIVERED yet (broker unreachable). It is kept in "
            f"{outbox.path} and sent when the kiosk next connects. Call for help now."
        )
        return 3
    finally:
        link.stop()
        courier.close()
        outbox.close()


def add_parser(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:
    alert = sub.add_parser(
        "alert",
        parents=[data_dir],
        help="raise an alert as a kiosk (drills, scripts, hardware panic buttons)",
        description="Raise a Manager or Security alert as the given kiosk, through its outbox.",
    )
    alert.add_argument(
        "--kiosk",
        required=True,
        help="kiosk device id, e.g. kiosk-1; give a hardware button its own kiosk id, since "
        "one id can hold only one connection at a time",
    )
    alert.add_argument("--level", required=True, choices=list(LEVELS))
    alert.add_argument(
        "--silent", action="store_true", help="a silent alert (no sound at the counter)"
    )
    alert.add_argument("--drill", action="store_true", help="mark it as a DRILL everywhere")
    alert.add_argument("--wait", type=float, default=5.0, help="seconds to wait for the broker")
    alert.set_defaults(func=raise_alert)
