"""The hub's copy of the store roster: read from the registry, re-read when it changes.

The roster is what every consumer believes about a device (kind, role, name, counter), never the
payload. The hub builds it from the registry file, publishes it retained for the devices, and
re-reads the file when it changes (polled) or on demand (SIGHUP, or a message from a device the
current roster does not know yet: a device provisioned a moment ago must not lose its first alert).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from broker.registry import Registry
from shared.authz import RosterIndex
from shared.protocol import Roster
from shared.settings import ConfigError

log = logging.getLogger(__name__)

REGISTRY_POLL_S = 2.0
UNKNOWN_DEVICE_RELOAD_S = 1.0
"""At most one re-read a second on behalf of unknown senders (they hold valid credentials, but
need not be able to make the hub read a file in a loop)."""


def kiosk_counters(registry: Registry) -> dict[str, str]:
    """Counter names for the alerts the hub raises when a kiosk drops off the network."""
    return {d.id: d.counter or d.display_name for d in registry.by_role("kiosk")}


class RosterKeeper:
    """The current :class:`RosterIndex`, with the registry file as its source (thread-safe)."""

    def __init__(
        self,
        registry_path: Path | None,
        hub_device: str,
        *,
        on_change: Callable[[Roster, Registry], None],
    ) -> None:
        """``on_change`` runs after a re-read that changed the roster (not for the first read)."""
        self.path = registry_path
        self.hub_device = hub_device
        self.index = RosterIndex()
        self._on_change = on_change
        self._seen: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._last_unknown_reload = 0.0
        self.registry = self._read()

    def reload(self) -> bool:
        """Re-read the registry; False if it is unreadable (the previous roster stays)."""
        with self._lock:
            previous = self.index.roster
            registry = self._read()
        if registry is None:
            return False
        current = self.index.roster
        if current is not None and (previous is None or previous.devices != current.devices):
            self._on_change(current, registry)
        return True

    def knows(self, device: str) -> bool:
        """Is ``device`` in the roster? Re-reads the registry once (rate-limited) before no."""
        if not self.index.known or device in self.index:
            return True
        now = time.monotonic()
        if now - self._last_unknown_reload >= UNKNOWN_DEVICE_RELOAD_S:
            self._last_unknown_reload = now
            self.reload()
        return device in self.index

    def watch(self, stopping: threading.Event) -> None:
        """Re-read whenever the file changes, until ``stopping`` is set (its own thread)."""
        assert self.path is not None
        while not stopping.wait(REGISTRY_POLL_S):
            try:
                stat = self.path.stat()
            except OSError:
                continue
            if (stat.st_mtime_ns, stat.st_size) != self._seen:
                self.reload()

    def _read(self) -> Registry | None:
        """Load the registry into ``self.index``; None (index unchanged) if unusable."""
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
            registry = Registry.load(self.path)
            roster = registry.roster(self.hub_device)
        except (OSError, ConfigError, ValidationError) as error:
            log.error("registry not usable, keeping the previous roster: %s", error)
            return None
        self._seen = (stat.st_mtime_ns, stat.st_size)
        self.registry = registry
        if self.index.roster is None or self.index.roster.devices != roster.devices:
            self.index = RosterIndex(roster)
            log.info("roster of store %s: %d device(s)", roster.store, len(roster.devices))
        return registry
