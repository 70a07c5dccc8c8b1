"""The hub's share of "never silent": ladder timers, and paging when a kiosk dies.

Timers run on the kiosk too (it alone can tell its staff member to call for help when the hub
is down); the hub's timers cover a kiosk that died mid-alert. Both publish rungs with the same
deterministic event id, so each rung is recorded once. See docs/ARCHITECTURE.md.

A kiosk whose Last Will arrives (offline, not clean) leaves its counter without a panic button:
the hub raises a manager alert for it, and cancels that alert when the kiosk is back. Retained
presence replayed at the hub's own start-up is history, not news, and pages nobody.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from shared.alerts.driver import EscalationDriver, SteadyClock, received_at
from shared.alerts.policy import Policy
from shared.protocol import (
    AlertCancelled,
    AlertContext,
    AlertRaised,
    Message,
    Presence,
)

log = logging.getLogger(__name__)

KIOSK_LOST_SITUATION = "kiosk_offline"
SYNC_GRACE_S = 1.0  # retained presence arrives right after subscribing
MAX_SLEEP_S = 1.0


class HubEscalation:
    """Thread-safe wrapper around an EscalationDriver with its own ticker thread."""

    def __init__(
        self,
        *,
        store: str,
        hub: str,
        policy: Policy,
        publish: Callable[[Message], None],
        counters: dict[str, str],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        clock = clock or SteadyClock()
        self.driver = EscalationDriver(store=store, device=hub, policy=policy, clock=clock)
        self._publish = publish
        self._counters = counters
        self._store = store
        self._hub = hub
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lost_kiosks: dict[str, uuid.UUID] = {}
        self._thread = threading.Thread(target=self._run, name="hub-escalation", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def thread(self) -> threading.Thread | None:
        """The ticker thread once started (the hub's watchdog checks it is alive)."""
        return self._thread if self._thread.ident else None

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)

    def set_counters(self, counters: dict[str, str]) -> None:
        """Counter names for kiosk-lost alerts, after the registry changed."""
        with self._lock:
            self._counters = dict(counters)

    def connected(self) -> None:
        """After (re)connecting: presence is trustworthy once the retained messages are in."""
        timer = threading.Timer(SYNC_GRACE_S, self._mark_synced)
        timer.daemon = True
        timer.start()

    def _mark_synced(self) -> None:
        with self._lock:
            self.driver.presence.mark_synced()
        self._wake.set()

    def observe(self, message: Message, *, retained: bool) -> None:
        """Feed a recorded message; may page about a lost kiosk."""
        to_send: list[Message] = []
        with self._lock:
            # timers count from when the hub heard it, never from a sender's clock ahead
            message = received_at(message, self.driver.clock())
            self.driver.observe(message)
            if isinstance(message, Presence) and message.kind == "kiosk" and not retained:
                to_send = self._kiosk_presence(message)
            for outgoing in to_send:
                self.driver.observe(outgoing)
        for outgoing in to_send:
            self._publish(outgoing)
        self._wake.set()

    def _kiosk_presence(self, presence: Presence) -> list[Message]:
        kiosk = presence.device
        lost_alert = self._lost_kiosks.get(kiosk)
        if not presence.online and not presence.clean and lost_alert is None:
            alert = AlertRaised(
                store=self._store,
                device=self._hub,
                level="manager",
                counter=self._counters.get(kiosk, kiosk),
                context=AlertContext(situation=KIOSK_LOST_SITUATION),
            )
            self._lost_kiosks[kiosk] = alert.alert_id
            log.warning("kiosk %s dropped off the network: paging the managers", kiosk)
            return [alert]
        if presence.online and lost_alert is not None:
            del self._lost_kiosks[kiosk]
            log.info("kiosk %s is back online: closing its alert", kiosk)
            return [
                AlertCancelled(
                    store=self._store,
                    device=self._hub,
                    alert_id=lost_alert,
                    reason="device_back_online",
                )
            ]
        return []

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self.driver.tick()
                next_at = self.driver.next_check_at()
            for message in due:
                log.info("escalating alert %s: %s", message.alert_id, message.step_id)
                self._publish(message)
            sleep = MAX_SLEEP_S
            if next_at is not None:
                sleep = min(sleep, max((next_at - self.driver.clock()).total_seconds(), 0.01))
            self._wake.wait(sleep)
            self._wake.clear()
