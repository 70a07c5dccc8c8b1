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
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from shared.alerts.driver import EscalationDriver, SteadyClock, received_at
from shared.alerts.policy import Policy, decide, escalation_messages
from shared.protocol import (
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    Message,
    Presence,
)

log = logging.getLogger(__name__)

KIOSK_LOST_SITUATION = "kiosk_offline"
SYNC_GRACE_S = 1.0  # retained presence arrives right after subscribing
MAX_SLEEP_S = 1.0
COALESCE_S = 0.02  # at most this much later than the message that makes a rung due at once


class HubEscalation:
    """Thread-safe wrapper around an EscalationDriver with its own ticker thread.

    Messages reach it through :meth:`feed` as soon as the hub admits them, before (and
    whatever) the recorder does with them: a rung or a lost-kiosk page never waits behind a
    database batch. The alert book drops repeated event ids itself.

    The ladder is decided per alert, only for alerts that changed or whose next rung is due,
    never for every open alert on every message: during a burst of a thousand open alerts, one
    full pass costs tens of milliseconds and would eat the recorder's CPU."""

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
        self._fed: queue.SimpleQueue[tuple[Message, bool]] = queue.SimpleQueue()
        self._dirty: set[uuid.UUID] = set()  # alerts to decide again at the next pass
        self._all_dirty = True  # presence changed: every open alert
        self._next_at: dict[uuid.UUID, datetime] = {}
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
            self._all_dirty = True
        self._wake.set()

    def feed(self, message: Message, *, retained: bool) -> None:
        """Hand over an admitted message (any thread); the escalation thread observes it."""
        self._fed.put((message, retained))
        self._wake.set()

    def observe(self, message: Message, *, retained: bool) -> None:
        """Feed a recorded message; may page about a lost kiosk."""
        to_send: list[Message] = []
        with self._lock:
            # timers count from when the hub heard it, never from a sender's clock ahead
            message = received_at(message, self.driver.clock())
            self._note(message)
            if isinstance(message, Presence) and message.kind == "kiosk" and not retained:
                to_send = self._kiosk_presence(message)
            for outgoing in to_send:
                self._note(outgoing)
        for outgoing in to_send:
            self._publish(outgoing)
        self._wake.set()

    def _note(self, message: Message) -> None:
        """Observe under the lock, and remember which alerts to decide again."""
        changed = self.driver.observe(message)
        if isinstance(message, Presence):
            self._all_dirty = True
        elif changed is not None:
            self._dirty.add(changed.alert_id)

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
            self._wake.clear()  # before draining: a message fed from now on wakes us again
            fed = 0
            while True:
                try:
                    message, retained = self._fed.get_nowait()
                except queue.Empty:
                    break
                self.observe(message, retained=retained)
                fed += 1
            with self._lock:
                due = self._decide()
                next_at = min(self._next_at.values(), default=None)
            for message in due:
                log.info("escalating alert %s: %s", message.alert_id, message.step_id)
                self._publish(message)
            sleep = MAX_SLEEP_S
            if next_at is not None:
                sleep = min(sleep, max((next_at - self.driver.clock()).total_seconds(), 0.01))
            if fed:
                # a burst: take the next messages together a moment later rather than wake per
                # message, which would fight the recorder for the interpreter lock
                self._stop.wait(COALESCE_S)
            self._wake.wait(sleep)

    def _decide(self) -> list[AlertEscalated]:
        """The rungs due now, for the alerts that changed or are due (under the lock)."""
        driver = self.driver
        now = driver.clock()
        if self._all_dirty:
            candidates = {view.alert_id for view in driver.alerts.open_alerts()}
        else:
            candidates = self._dirty | {a for a, at in self._next_at.items() if at <= now}
        self._all_dirty, self._dirty = False, set()
        summary = driver.presence.summary()
        due: list[AlertEscalated] = []
        for alert_id in candidates:
            view = driver.alerts.get(alert_id)
            if view is None or view.closed:
                self._next_at.pop(alert_id, None)
                continue
            decision = decide(view, now, summary, driver.policy)
            if decision.due:
                for message in escalation_messages(decision, view, self._store, self._hub, now=now):
                    driver.alerts.apply(message)
                    due.append(message)
                decision = decide(driver.alerts[alert_id], now, summary, driver.policy)
            if decision.next_check_at is None:
                self._next_at.pop(alert_id, None)
            else:
                self._next_at[alert_id] = decision.next_check_at
        return due
