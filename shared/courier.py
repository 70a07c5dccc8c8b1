"""Outbox-first delivery: store, publish, and report honestly what has happened.

Every outgoing event goes through :meth:`Courier.send`: it is validated and size-checked, then
written to the durable outbox, and only then handed to the MQTT link. The status callback
reports ``queued`` at once, ``delivered`` when the broker's PUBACK carries a success code,
``recorded`` when the hub's receipt arrives (for messages that need one), and ``failed`` when
the broker rejected it for good. Nothing here ever reports more than has actually happened.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Literal

from shared.mqtt_link import MqttLink, PublishOutcome
from shared.outbox import Outbox, OutboxEntry

if TYPE_CHECKING:  # loaded on first send: `calmdesk alert` encodes without pydantic
    from shared.protocol import Message

log = logging.getLogger(__name__)

DeliveryStatus = Literal["queued", "delivered", "recorded", "failed"]
OnDeliveryStatus = Callable[[uuid.UUID, DeliveryStatus, str], None]
RETRY_DELAY_S = 2.0


class Courier:
    """Owns a device's outbox and pushes its entries through the link."""

    def __init__(
        self,
        link: MqttLink,
        outbox: Outbox,
        on_status: OnDeliveryStatus | None = None,
    ) -> None:
        self.link = link
        self.outbox = outbox
        self._on_status = on_status
        self._timers: set[threading.Timer] = set()
        self._closed = False

    def send(
        self, message: Message, topic: str, *, needs_receipt: bool = False, retain: bool = False
    ) -> None:
        """Store then publish. Raises ProtocolError (too big) or OutboxError (disk) *before*
        anything is claimed, so the caller can show the failure at once."""
        from shared.protocol import encode

        self.send_encoded(
            message.event_id, topic, encode(message), needs_receipt=needs_receipt, retain=retain
        )

    def send_encoded(
        self,
        event_id: uuid.UUID,
        topic: str,
        payload: bytes,
        *,
        needs_receipt: bool = False,
        retain: bool = False,
    ) -> None:
        """:meth:`send` for a payload already validated and encoded by the caller."""
        self.outbox.put(event_id, topic, payload, retain=retain, needs_receipt=needs_receipt)
        self._report(event_id, "queued", "stored in the outbox")
        self._publish(topic, payload, event_id, retain)

    def resume(self) -> int:
        """Publish everything a previous run left in the outbox, oldest first."""
        entries = self.outbox.entries()
        for entry in entries:
            self._publish_entry(entry)
        if entries:
            log.info(
                "%s: resending %d message(s) from the outbox", self.link.device_id, len(entries)
            )
        return len(entries)

    def resend_unconfirmed(self) -> int:
        """Publish again entries the broker took but whose receipt has not come (yet)."""
        entries = self.outbox.entries("awaiting")
        for entry in entries:
            self._publish_entry(entry)
        return len(entries)

    def receipt(self, event_id: uuid.UUID) -> None:
        """The hub confirmed it has recorded this event."""
        if self.outbox.receipt(event_id):
            self._report(event_id, "recorded", "recorded by the hub")

    def close(self) -> None:
        self._closed = True
        for timer in list(self._timers):
            timer.cancel()

    # Internals -------------------------------------------------------------------------

    def _publish_entry(self, entry: OutboxEntry) -> None:
        self._publish(entry.topic, entry.payload, entry.event_id, entry.retain)

    def _publish(self, topic: str, payload: bytes, event_id: uuid.UUID, retain: bool) -> None:
        self.link.publish(
            topic, payload, retain=retain, on_outcome=partial(self._handle_outcome, event_id)
        )

    def _handle_outcome(self, event_id: uuid.UUID, outcome: PublishOutcome) -> None:
        """Runs on the network thread: update the outbox, report, schedule a retry."""
        if outcome.ok:
            self.outbox.broker_accepted(event_id)
            self._report(event_id, "delivered", outcome.reason)
            return
        state = self.outbox.broker_rejected(event_id, outcome.reason, retryable=outcome.retryable)
        if state == "dead":
            self._report(event_id, "failed", outcome.reason)
            return
        self._report(event_id, "queued", f"broker said {outcome.reason}; retrying")
        entry = self.outbox.get(event_id)
        if entry is not None and not self._closed:
            timer = threading.Timer(RETRY_DELAY_S, self._retry, args=(entry,))
            timer.daemon = True
            self._timers.add(timer)
            timer.start()

    def _retry(self, entry: OutboxEntry) -> None:
        self._timers = {t for t in self._timers if t.is_alive()}
        if not self._closed:
            self._publish_entry(entry)

    def _report(self, event_id: uuid.UUID, status: DeliveryStatus, detail: str) -> None:
        log.debug("%s: %s %s (%s)", self.link.device_id, event_id, status, detail)
        if self._on_status is not None:
            try:
                self._on_status(event_id, status, detail)
            except Exception:
                log.exception("delivery status handler failed")
