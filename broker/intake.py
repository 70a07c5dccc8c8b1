"""The hub's receiving sessions: one persistent MQTT session per device that publishes.

Why not one session subscribed to ``calmdesk/v1/<store>/#``: Mosquitto's queue limits
(``max_queued_messages``, ``max_queued_bytes``) count per *receiving* session, and Mosquitto
2.0 has no per-publisher limit. With one hub session, every device's messages share one queue
while the hub is down, so one kiosk stuck in a loop (or a stolen kiosk credential) fills it, and
from then on Mosquitto drops everything for the hub, other devices' alerts included, after
having told their senders "delivered". With a session per device, a flood fills only the
flooder's own queue: the limit now bounds what a single device can queue for the hub.

Each intake session logs in as ``<hub>.<device>`` (a dot can never appear in a device id, so no
device can be provisioned under that name), with the hub's own password hash, and the ACL lets
it read that one device's subtree and nothing else, write nothing. Monitors (read-only
consoles) publish nothing and get no session; hub-to-hub traffic stays on the hub's main link.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from broker.registry import Device, Registry
from shared import topics
from shared.mqtt_link import MqttLink, OnReceived
from shared.protocol import DeviceKind
from shared.settings import DeviceConfig

log = logging.getLogger(__name__)

INTAKE_ROLES = ("kiosk", "manager", "security")


def intake_user(hub: str, device: str) -> str:
    """The broker user (and client id) of the hub's session for ``device``."""
    return f"{hub}.{device}"


def device_kind(device: Device) -> DeviceKind:
    return "kiosk" if device.role == "kiosk" else "pager"


def publishing_devices(registry: Registry) -> list[Device]:
    """Devices whose messages the hub reads through a session of their own."""
    return [d for d in registry.devices if d.role in INTAKE_ROLES]


def intake_password_lines(registry: Registry, hashes: dict[str, str]) -> list[str]:
    """Password-file lines for the intake users: each with the hub's own hash."""
    hubs = registry.by_role("hub")
    if not hubs or hubs[0].id not in hashes:
        return []
    hub = hubs[0].id
    return [f"{intake_user(hub, d.id)}:{hashes[hub]}" for d in publishing_devices(registry)]


def intake_acl_lines(registry: Registry) -> list[str]:
    """ACL blocks for the intake users: read one device's subtree, write nothing."""
    hubs = registry.by_role("hub")
    if not hubs:
        return []
    lines: list[str] = []
    for device in publishing_devices(registry):
        subtree = topics.device_subtree(registry.store, device_kind(device), device.id)
        lines += [f"user {intake_user(hubs[0].id, device.id)}", f"topic read {subtree}", ""]
    return lines


class Intake:
    """The hub's per-device sessions, all feeding one ``on_received`` (the recorder's inbox)."""

    def __init__(
        self,
        config: DeviceConfig,
        on_received: OnReceived,
        devices: Iterable[tuple[str, DeviceKind]] = (),
    ) -> None:
        self._config = config
        self._on_received = on_received
        self._links: dict[str, MqttLink] = {}  # subtree prefix -> link
        self._lock = threading.Lock()
        self._started = False
        self.sync(devices)

    def sync(self, devices: Iterable[tuple[str, DeviceKind]]) -> list[str]:
        """Open a session for every device not yet read (a device provisioned while running)."""
        added = []
        for device_id, kind in devices:
            subtree = topics.device_subtree(self._config.store, kind, device_id)
            prefix = subtree[:-1]  # ".../<device>/"
            with self._lock:
                if prefix in self._links:
                    continue
                link = MqttLink(
                    device_id=intake_user(self._config.device, device_id),
                    password=self._config.password,
                    address=self._config.address,
                    subscriptions=[subtree],
                    on_received=self._on_received,
                    manual_ack=True,
                )
                self._links[prefix] = link
                started = self._started
            if started:
                link.start()
            added.append(device_id)
        if added and self._started:
            log.info("hub now reads %s through sessions of their own", ", ".join(added))
        return added

    def start(self) -> None:
        with self._lock:
            self._started = True
            links = list(self._links.values())
        for link in links:
            link.start()

    def stop(self) -> None:
        with self._lock:
            links = list(self._links.values())
            self._started = False
        for link in links:
            link.stop(timeout=1.0)

    def link_for(self, topic: str) -> MqttLink | None:
        """The session a message on ``topic`` came through (to acknowledge it there)."""
        with self._lock:
            return next(
                (link for prefix, link in self._links.items() if topic.startswith(prefix)), None
            )

    def links(self) -> list[MqttLink]:
        with self._lock:
            return list(self._links.values())

    def wait_subscribed(self, timeout: float) -> bool:
        return all(link.wait_subscribed(timeout) for link in self.links())
