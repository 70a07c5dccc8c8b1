"""The networking half of a kiosk or pager app, without any Kivy: link, outbox, presence.

Apps create one :class:`DeviceRuntime` and give it a ``dispatch`` function that runs a callable
on their UI thread (for Kivy: ``Clock.schedule_once``). Every callback the app receives runs
through it, so view-models are only ever touched on the UI thread. Tests pass a dispatcher that
calls at once or collects into a queue.

Incoming messages are acknowledged to the broker only after the app's ``on_message`` has run
(and journaled what matters), so a device that dies between the network and the UI thread gets
the message again from its persistent session. Acks go out in arrival order, as MQTT requires,
because the dispatcher runs callbacks in the order they were queued.

Before the app sees anything, the runtime judges it with :func:`shared.authz.judge` (topic,
retain flag, the store's roster as the hub last published it, who raised the alert): the app
only ever gets accepted messages, with kind, role and names taken from the roster. A refused
message is acknowledged (resending cannot make it acceptable) and logged with the reason. The
last roster is kept on disk, so messages queued while the device was off are judged by it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from shared import topics
from shared.authz import OwnerOf, RosterIndex, Verdict, judge
from shared.courier import Courier, DeliveryStatus
from shared.mqtt_link import LinkEvent, LinkState, MqttLink, Received
from shared.outbox import Outbox
from shared.protocol import (
    AlertRaised,
    IncidentRecorded,
    Message,
    Presence,
    ProtocolError,
    Roster,
    decode,
    encode,
    utc_now,
)
from shared.settings import DeviceConfig

log = logging.getLogger(__name__)

Dispatch = Callable[[Callable[[], None]], None]
RESEND_UNCONFIRMED_EVERY_S = 30.0
OWNERS_REMEMBERED = 4096


def call_now(fn: Callable[[], None]) -> None:
    """A dispatcher for code without a UI loop: run the callback on the calling thread."""
    fn()


@dataclass(frozen=True, slots=True)
class Delivery:
    event_id: uuid.UUID
    status: DeliveryStatus
    detail: str


class DeviceRuntime:
    """One device's connection to its store, with durable sending and retained presence."""

    def __init__(
        self,
        config: DeviceConfig,
        data_dir: Path,
        *,
        subscriptions: Sequence[str],
        on_message: Callable[[Message], None],
        on_delivery: Callable[[Delivery], None] | None = None,
        on_link: Callable[[LinkEvent], None] | None = None,
        dispatch: Dispatch = call_now,
        on_duty: bool = True,
        announce_presence: bool = True,
        keepalive_s: int = 10,
        borrowed: bool = False,
        owner_of: OwnerOf | None = None,
    ) -> None:
        """``borrowed``: a one-shot script using a device's identity (``calmdesk alert`` as a
        kiosk). Client ids are pinned to device ids, so it shares that device's broker session;
        it acknowledges nothing it receives, so what was queued for the device reaches the
        device's own app when it reconnects.

        ``owner_of``: the app's own memory of who raised an alert (its alert book, restored
        from its journal), consulted when this run has not seen the raise itself."""
        self.config = config
        self._dispatch = dispatch
        self._on_message = on_message
        self._on_delivery = on_delivery
        self._on_link = on_link
        self.on_duty = on_duty
        self._borrowed = borrowed
        # a read-only console or a one-shot script is nobody's presence
        self._announce = announce_presence and config.role != "monitor"
        self.session_started_at = utc_now()
        self._status_topic = topics.status(config.store, config.kind, config.device)
        self._stop = threading.Event()
        self._app_owner_of = owner_of
        self._owners: OrderedDict[uuid.UUID, str] = OrderedDict()
        self._roster_path = data_dir / "roster" / f"{config.device}.json"
        self.roster = _load_roster(self._roster_path, config.store)
        # the roster first: its retained copy then arrives before the retained presence
        wanted = [
            topics.all_rosters(config.store),
            *subscriptions,
            topics.receipts_for(config.store, config.device),
        ]
        self.link = MqttLink(
            device_id=config.device,
            password=config.password,
            address=config.address,
            subscriptions=wanted,
            on_received=self._received,
            on_link_event=self._link_event,
            manual_ack=True,
            keepalive_s=keepalive_s,
            will=(
                (self._status_topic, encode(self.presence(online=False, clean=False)))
                if self._announce
                else None
            ),
        )
        self.outbox = Outbox(config.outbox_path(data_dir))
        self.courier = Courier(self.link, self.outbox, self._delivery)
        self._resender = threading.Thread(target=self._resend_loop, daemon=True)

    # Life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and resend what a previous run left in the outbox."""
        self.link.start()
        self.courier.resume()
        self._resender.start()

    def stop(self) -> None:
        """A clean exit: say offline (so nobody is paged about it), then disconnect."""
        self._stop.set()
        final = (self._status_topic, encode(self.presence(online=False, clean=True)))
        self.link.stop(final_message=final if self._announce else None)
        self.courier.close()
        self.outbox.close()

    # Sending ------------------------------------------------------------------------

    def send(self, message: Message, topic: str, *, needs_receipt: bool = False) -> None:
        """Store in the outbox, then publish. Raises before claiming anything if it cannot."""
        self.courier.send(message, topic, needs_receipt=needs_receipt)

    def presence(self, *, online: bool, clean: bool = True) -> Presence:
        role = self.config.role if self.config.role != "monitor" else "manager"
        return Presence(
            store=self.config.store,
            device=self.config.device,
            kind=self.config.kind,
            role=role,  # type: ignore[arg-type]
            online=online,
            on_duty=self.on_duty and online,
            display_name=self.config.display_name,
            clean=clean,
            session_started_at=self.session_started_at,
        )

    def set_on_duty(self, on_duty: bool) -> None:
        self.on_duty = on_duty
        self._publish_presence()

    def _publish_presence(self) -> None:
        if not self._announce:
            return
        payload = encode(self.presence(online=True))
        self.link.publish(self._status_topic, payload, retain=True)

    # Network thread -------------------------------------------------------------------

    def _received(self, received: Received) -> None:
        if self._borrowed:
            return  # not ours to take: the session's owner gets it again on reconnect
        if not received.payload:
            self.link.ack(received)
            return  # a cleared retained message
        try:
            message = decode(received.payload)
        except ProtocolError as error:
            log.warning(
                "%s: ignored a message on %s: %s", self.config.device, received.topic, error
            )
            self.link.ack(received)  # resending it cannot make it valid
            return
        self._dispatch(partial(self._apply_then_ack, message, received))

    # UI thread ------------------------------------------------------------------------

    def owner_of(self, alert_id: uuid.UUID) -> str | None:
        """Who raised an alert, as far as this device knows."""
        owner = self._owners.get(alert_id)
        if owner is None and self._app_owner_of is not None:
            owner = self._app_owner_of(alert_id)
        return owner

    def _apply_then_ack(self, message: Message, received: Received) -> None:
        """UI thread: judge the message, hand it to the app, then tell the broker it is safe."""
        try:
            verdict = judge(
                received.topic,
                message,
                retained=received.retained,
                roster=self.roster,
                owner_of=self.owner_of,
            )
        except Exception as error:  # a bug must not stall every later acknowledgement
            log.exception("%s: could not judge a message on %s", self.config.device, received.topic)
            verdict = Verdict(None, f"could not be judged ({error.__class__.__name__})")
        accepted = verdict.message
        if accepted is None:
            log.warning(
                "%s: refused %s on %s: %s",
                self.config.device,
                type(message).__name__,
                received.topic,
                verdict.reason,
            )
        elif verdict.reason:
            log.warning("%s: corrected %s: %s", self.config.device, received.topic, verdict.reason)
        if accepted is not None:
            self._take(accepted)
        self.link.ack(received)

    def _take(self, message: Message) -> None:
        if isinstance(message, Roster):
            self.roster = RosterIndex(message)
            _save_roster(self._roster_path, message)
            log.info("%s: roster of %d device(s)", self.config.device, len(message.devices))
            return
        if isinstance(message, IncidentRecorded):
            if message.for_device == self.config.device:
                self.courier.receipt(message.report_event_id)
            return
        if isinstance(message, AlertRaised) and message.alert_id not in self._owners:
            self._owners[message.alert_id] = message.device
            while len(self._owners) > OWNERS_REMEMBERED:
                self._owners.popitem(last=False)
        try:
            self._on_message(message)
        except Exception:  # an app bug must not stall every later message behind this one
            log.exception("%s: handling %s failed", self.config.device, type(message).__name__)

    def _link_event(self, event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            self._publish_presence()
        if self._on_link is not None:
            self._dispatch(partial(self._on_link, event))

    def _delivery(self, event_id: uuid.UUID, status: DeliveryStatus, detail: str) -> None:
        if self._on_delivery is not None:
            self._dispatch(partial(self._on_delivery, Delivery(event_id, status, detail)))

    def _resend_loop(self) -> None:
        while not self._stop.wait(RESEND_UNCONFIRMED_EVERY_S):
            if self.link.connected:
                self.courier.resend_unconfirmed()


def _load_roster(path: Path, store: str) -> RosterIndex:
    """The roster this device last heard, or an unknown one (first start, unreadable file)."""
    try:
        roster = decode(path.read_bytes())
    except (OSError, ProtocolError) as error:
        if path.exists():
            log.warning("%s: ignored (%s); waiting for the hub's roster", path, error)
        return RosterIndex()
    if not isinstance(roster, Roster) or roster.store != store:
        log.warning("%s is not a roster of store %s; waiting for the hub's roster", path, store)
        return RosterIndex()
    return RosterIndex(roster)


def _save_roster(path: Path, roster: Roster) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(encode(roster))
        temporary.replace(path)
    except OSError as error:
        log.warning("could not keep the roster in %s: %s", path, error)
