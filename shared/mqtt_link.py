"""The one module that talks to paho-mqtt.

:class:`MqttLink` owns a paho client configured the way an alarm system needs it (MQTT v5,
QoS 1, a persistent session, automatic reconnect with backoff, TCP_NODELAY, an optional TLS
context, a retained Last Will) and exposes plain bytes in and out plus a typed publish outcome
built from the broker's PUBACK reason code.

Threading: paho runs its network loop in its own thread (``loop_start``). Every callback given
to this class is called on that thread, so it must only parse and hand off (for a Kivy app:
``Clock.schedule_once`` with values bound by ``functools.partial``). Never block in one: a
``wait_for_publish`` inside a callback deadlocks, because the same thread must read the PUBACK.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

QOS = 1
DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600
DEFAULT_KEEPALIVE_S = 10
SHORT_SESSION_S = 5.0  # a connection dropped sooner than this, repeatedly, is suspicious
CLASH_AFTER = 3

# PUBACK reason codes that are successes even though they are not 0 (MQTT 5, 3.4.2.1).
_SUCCESS_REASONS = {"Success", "No matching subscribers"}
# CONNACK reason codes that no amount of retrying will fix.
_CREDENTIAL_REASONS = {"Bad user name or password", "Not authorized", "Client identifier not valid"}


class LinkState(Enum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    REFUSED = "refused"  # the broker refused our credentials: retrying will not help


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883
    tls_ca_file: Path | None = None
    tls_insecure: bool = False  # tests only: skip hostname verification
    tls_ca_pem: str | None = None  # the store CA itself, as the device file carries it


@dataclass(frozen=True, slots=True)
class Received:
    """One message as it came off the wire; ``mid`` is needed to ack it in manual-ack mode."""

    topic: str
    payload: bytes
    retained: bool
    mid: int
    qos: int


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """The broker's answer to one publish. ``ok`` means the broker accepted responsibility."""

    ok: bool
    reason: str
    retryable: bool = True


@dataclass(frozen=True, slots=True)
class LinkEvent:
    state: LinkState
    detail: str = ""
    session_present: bool = False


OnReceived = Callable[[Received], None]
OnLinkEvent = Callable[[LinkEvent], None]
OnOutcome = Callable[[PublishOutcome], None]

_NOT_RETRYABLE = {
    "Not authorized",
    "Topic Name invalid",
    "Payload format invalid",
    "Packet too large",
    "Implementation specific error",
}


def _ignore_outcome(outcome: PublishOutcome) -> None:
    """Outcome sink for fire-and-forget publishes (status updates)."""


class MqttLink:
    """A device's connection to the store broker."""

    def __init__(
        self,
        *,
        device_id: str,
        password: str,
        address: BrokerAddress,
        subscriptions: Sequence[str] = (),
        on_received: OnReceived | None = None,
        on_link_event: OnLinkEvent | None = None,
        persistent_session: bool = True,
        session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S,
        manual_ack: bool = False,
        keepalive_s: int = DEFAULT_KEEPALIVE_S,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.device_id = device_id
        self._address = address
        self._subscriptions = list(subscriptions)
        self._on_received = on_received
        self._on_link_event = on_link_event
        self._persistent = persistent_session
        self._session_expiry_s = session_expiry_s
        self._keepalive_s = keepalive_s
        self._lock = threading.Lock()
        self._waiting: dict[int, OnOutcome] = {}
        self._early: dict[int, PublishOutcome] = {}
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._subscribe_mid: int | None = None
        self._stopping = False
        self._connected_at = 0.0
        self._short_sessions = 0
        self.state = LinkState.OFFLINE

        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=device_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=manual_ack,
        )
        client.username_pw_set(device_id, password)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.max_inflight_messages_set(100)
        if address.tls_ca_pem is not None:
            context = ssl.create_default_context(cadata=address.tls_ca_pem)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            client.tls_set_context(context)
            client.tls_insecure_set(address.tls_insecure)
        elif address.tls_ca_file is not None:
            client.tls_set(ca_certs=str(address.tls_ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
            client.tls_insecure_set(address.tls_insecure)
        if will is not None:
            will_topic, will_payload = will
            client.will_set(will_topic, will_payload, qos=QOS, retain=True)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        client.on_socket_open = self._handle_socket_open
        client.on_connect_fail = self._handle_connect_fail
        self._client = client

    # Life cycle ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background; a broker that is down now is retried with backoff."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self._session_expiry_s if self._persistent else 0
        self._set_state(
            LinkEvent(LinkState.CONNECTING, f"{self._address.host}:{self._address.port}")
        )
        self._client.connect_async(
            self._address.host,
            self._address.port,
            keepalive=self._keepalive_s,
            clean_start=not self._persistent,
            properties=props,
        )
        self._client.loop_start()

    @property
    def network_thread(self) -> threading.Thread | None:
        """paho's network loop thread while started (a watchdog checks it is alive)."""
        thread = getattr(self._client, "_thread", None)
        return thread if isinstance(thread, threading.Thread) else None

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait until the broker has granted this connection's subscriptions.

        Connected is not enough for a fresh session: a message published by another device
        before our SUBSCRIBE is processed never reaches us.
        """
        return self._subscribed.wait(timeout)

    def stop(self, *, final_message: tuple[str, bytes] | None = None, timeout: float = 3.0) -> None:
        """Disconnect cleanly, first publishing ``final_message`` (retained) if given.

        A clean DISCONNECT tells the broker not to publish the Last Will.
        """
        if final_message is not None and self.connected:
            info = self._client.publish(final_message[0], final_message[1], qos=QOS, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as error:
                log.info("%s: final status not sent: %s", self.device_id, error)
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._subscribed.clear()

    def abort(self) -> None:
        """Drop the connection without a DISCONNECT, like a crash; the broker sends the Will."""
        sock = self._client.socket()
        if sock is not None:
            sock.close()
        self._client.loop_stop()
        self._connected.clear()
        self._subscribed.clear()

    # Publish and ack ----------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool = False,
        on_outcome: OnOutcome | None = None,
    ) -> None:
        """Queue a QoS 1 publish; ``on_outcome`` gets the broker's verdict from the PUBACK.

        While offline, paho keeps the message in memory and sends it on reconnect; the caller's
        durable outbox covers a process restart.
        """
        info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            outcome = PublishOutcome(
                False, f"client refused the publish: {paho.error_string(info.rc)}"
            )
            if on_outcome is not None:
                on_outcome(outcome)
            return
        callback = on_outcome or _ignore_outcome
        with self._lock:
            early = self._early.pop(info.mid, None)
            if early is None:
                self._waiting[info.mid] = callback
        if early is not None:
            callback(early)

    def ack(self, received: Received) -> None:
        """Acknowledge a message in manual-ack mode, after it has been safely handled."""
        if received.qos > 0:
            self._client.ack(received.mid, received.qos)

    # paho callbacks (network thread) -------------------------------------------------

    def _handle_socket_open(self, client: paho.Client, userdata: object, sock: object) -> None:
        # Without TCP_NODELAY, Nagle plus delayed ACK can add ~40 ms to each hop.
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            reason = str(reason_code)
            if reason in _CREDENTIAL_REASONS:
                detail = (
                    f"{self.device_id}: the broker refused this device's credentials ({reason}); "
                    f"run `calmdesk provision --device {self.device_id}` and install the new file"
                )
                log.error(detail)
                self._set_state(LinkEvent(LinkState.REFUSED, detail))
            else:
                log.warning("%s: broker refused the connection: %s", self.device_id, reason)
                self._set_state(LinkEvent(LinkState.OFFLINE, reason))
            return
        if self._subscriptions:
            _, self._subscribe_mid = client.subscribe(
                [(topic, QOS) for topic in self._subscriptions]
            )
        else:
            self._subscribed.set()
        log.info("%s: connected (session present: %s)", self.device_id, flags.session_present)
        self._connected_at = time.monotonic()
        # state first: whoever waits on wait_connected() then sees the ONLINE event too
        self._set_state(LinkEvent(LinkState.ONLINE, session_present=flags.session_present))
        self._connected.set()

    def _handle_connect_fail(self, client: paho.Client, userdata: object) -> None:
        self._set_state(LinkEvent(LinkState.OFFLINE, "broker unreachable"))

    def _handle_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        self._subscribed.clear()
        detail = str(reason_code)
        if was_connected and not self._stopping:
            log.info("%s: disconnected (%s); will reconnect", self.device_id, reason_code)
            detail = self._check_identity_clash() or detail
        if self.state is not LinkState.REFUSED:
            self._set_state(LinkEvent(LinkState.OFFLINE, detail))

    def _check_identity_clash(self) -> str | None:
        """Dropped again and again right after connecting: another device uses our id.

        Mosquitto 2.0 closes the older of two connections with the same client id without
        saying why, so both sides flap once per reconnect delay and each is offline half the
        time. That is a configuration error someone must see.
        """
        lasted = time.monotonic() - self._connected_at
        self._short_sessions = self._short_sessions + 1 if lasted < SHORT_SESSION_S else 0
        if self._short_sessions < CLASH_AFTER:
            return None
        detail = (
            f"{self.device_id}: the broker keeps dropping this connection; another device or "
            f"process is probably using the id {self.device_id!r} (each id may be connected once)"
        )
        if self._short_sessions == CLASH_AFTER:
            log.error(detail)
        return detail

    def _handle_message(
        self, client: paho.Client, userdata: object, message: paho.MQTTMessage
    ) -> None:
        if self._on_received is None:
            return
        received = Received(
            topic=message.topic,
            payload=bytes(message.payload),
            retained=bool(message.retain),
            mid=message.mid,
            qos=message.qos,
        )
        try:
            self._on_received(received)
        except Exception:  # a consumer bug must never kill the network thread
            log.exception("%s: handler failed for a message on %s", self.device_id, message.topic)

    def _handle_subscribe(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [
            f"{topic} ({code})"
            for topic, code in zip(self._subscriptions, reason_codes, strict=False)
            if code.is_failure
        ]
        if refused:
            # Mosquitto grants a subscription its ACL forbids and then delivers nothing; a
            # refusal here means the broker said so plainly. Either way, someone must know.
            log.error("%s: broker refused subscriptions: %s", self.device_id, ", ".join(refused))
        self._subscribed.set()

    def _handle_publish(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        reason = str(reason_code)
        ok = reason in _SUCCESS_REASONS or not reason_code.is_failure
        outcome = PublishOutcome(ok, reason, retryable=ok or reason not in _NOT_RETRYABLE)
        if not ok:
            log.error("%s: broker rejected a publish (mid %s): %s", self.device_id, mid, reason)
        with self._lock:
            waiting = self._waiting.pop(mid, None)
            if waiting is None:
                self._early[mid] = outcome
        if waiting is not None:
            try:
                waiting(outcome)
            except Exception:
                log.exception("%s: publish outcome handler failed", self.device_id)

    def _set_state(self, event: LinkEvent) -> None:
        self.state = event.state
        if self._on_link_event is not None:
            try:
                self._on_link_event(event)
            except Exception:
                log.exception("%s: link event handler failed", self.device_id)
