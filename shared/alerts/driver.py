"""Runs the escalation ladders for every open alert a device can see.

The hub and the kiosk both use it (see docs/ARCHITECTURE.md, "Where the timers run"): each
feeds it every message it receives, calls :meth:`EscalationDriver.tick` when the clock says so,
and publishes what it returns. Because a rung's event id is derived from (alert, rung), both
may publish the same rung and the recorder still stores it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from shared.alerts.book import AlertBook
from shared.alerts.policy import Decision, Policy, decide, escalation_messages
from shared.alerts.presence import PresenceBook
from shared.alerts.state import AlertView
from shared.protocol import AlertEscalated, Message, Presence, utc_now


class SteadyClock:
    """UTC wall time read once, then advanced by the monotonic clock.

    Ladder timers compare "now" with times this same device took (a raise it sent, or the
    receive time of someone else's): an NTP step or an operator changing the clock mid-alert
    must neither suppress nor fire a rung, so "now" never jumps.
    """

    def __init__(self, wall: Callable[[], datetime] = utc_now) -> None:
        self._start_wall = wall()
        self._start = time.monotonic()

    def __call__(self) -> datetime:
        return self._start_wall + timedelta(seconds=time.monotonic() - self._start)


def received_at(message: Message, now: datetime) -> Message:
    """The message as a timer should see it: never later than when it arrived here.

    A sender's clock that is ahead would otherwise push the alert's start (and every rung)
    into the future; one that is behind only makes rungs come sooner, which is safe, and an
    alert that waited in an outbox or a broker queue keeps its real age.
    """
    if message.sent_at <= now:
        return message
    return message.model_copy(update={"sent_at": now})


class EscalationDriver:
    """Alert book + presence book + policy; pure apart from the clock it is given."""

    def __init__(
        self,
        *,
        store: str,
        device: str,
        policy: Policy,
        only_kiosk: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.device = device
        self.policy = policy
        self.only_kiosk = only_kiosk  # a kiosk drives only its own alerts
        self.clock = clock
        self.alerts = AlertBook()
        self.presence = PresenceBook(store)

    def observe(self, message: Message) -> AlertView | None:
        """Feed one received (or locally sent) message; returns the alert it changed."""
        if isinstance(message, Presence):
            self.presence.apply(message)
            return None
        return self.alerts.apply(message)

    def decisions(self, now: datetime | None = None) -> list[tuple[AlertView, Decision]]:
        now = now or self.clock()
        summary = self.presence.summary()
        return [
            (view, decide(view, now, summary, self.policy))
            for view in self.alerts.open_alerts()
            if self.only_kiosk is None or view.kiosk == self.only_kiosk
        ]

    def tick(self, now: datetime | None = None) -> list[AlertEscalated]:
        """The rungs due now, already applied to the local book; the caller publishes them."""
        now = now or self.clock()
        due: list[AlertEscalated] = []
        for view, decision in self.decisions(now):
            for message in escalation_messages(decision, view, self.store, self.device, now=now):
                self.alerts.apply(message)
                due.append(message)
        return due

    def next_check_at(self, now: datetime | None = None) -> datetime | None:
        times = [d.next_check_at for _, d in self.decisions(now) if d.next_check_at is not None]
        return min(times, default=None)
