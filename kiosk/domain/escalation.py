"""One-tap escalation from the kiosk, with undo, cancel, upgrade and kiosk-side timers.

The controller owns the kiosk's single open alert. Every message it writes goes to the local
view *first* (so the screen and the escalation timer never wait for the network), then to the
outbox through the :class:`Sender` (DeviceRuntime in the app, a fake in tests). The broker may
be down: the alert is still in the outbox, the view still escalates on time, and the panel
says plainly that it is not delivered (see :mod:`kiosk.domain.panel`).

Every message the controller applies to its open alert is also appended to the kiosk's
:class:`~kiosk.domain.journal.AlertJournal`, and :meth:`EscalationController.restore` folds
them back after a restart, so the screen comes back exactly as it was.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal, Protocol

from kiosk.domain.journal import AlertJournal, FlowSnapshot, Journaled, Stored
from shared import topics
from shared.alerts import AlertBook, AlertView, Policy, PresenceBook, decide, escalation_messages
from shared.alerts.state import LEVEL_RANK
from shared.protocol import (
    AlertCancelled,
    AlertContext,
    AlertRaised,
    Level,
    Message,
)

log = logging.getLogger(__name__)

UNDO_SECONDS = 5.0
DeliveryState = Literal["queued", "delivered", "recorded", "failed"]
TapResult = Literal["raised", "upgraded", "already", "error"]


class Sender(Protocol):
    """Where messages go: ``DeviceRuntime.send`` stores in the outbox, then publishes."""

    def send(self, message: Message, topic: str, *, needs_receipt: bool = False) -> None: ...


@dataclass(frozen=True, slots=True)
class KioskIdentity:
    store: str
    device: str
    counter: str
    emergency_number: str = ""
    drill: bool = False


class EscalationController:
    """The kiosk's open alert: raise, undo, upgrade, cancel, and the ladder timer."""

    def __init__(
        self,
        identity: KioskIdentity,
        sender: Sender,
        policy: Policy,
        presence: PresenceBook,
        *,
        undo_seconds: float = UNDO_SECONDS,
        on_change: Callable[[], None] | None = None,
        journal: AlertJournal | None = None,
        after_frame: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        """``after_frame``: runs a callable once the current frame is drawn (the app passes
        Kivy's Clock). A tap's raise is then stored (outbox and journal, each with an fsync)
        right after the frame that shows "Sending…", so the feedback never waits for the disk.
        Without it (tests, tools) everything is stored at once."""
        self.identity = identity
        self.sender = sender
        self.policy = policy
        self.presence = presence
        self.undo_seconds = undo_seconds
        self.on_change = on_change
        self.journal = journal
        self.book = AlertBook()
        self.alert_id: uuid.UUID | None = None
        self.deliveries: dict[uuid.UUID, DeliveryState] = {}
        self.raise_event_id: uuid.UUID | None = None
        """The latest raise (first tap or upgrade): the panel's 'sent' line is about it."""
        self.raised_locally_at: datetime | None = None
        self.undo_until: datetime | None = None
        self.send_error: str | None = None
        self.closed_alert_id: uuid.UUID | None = None
        """The alert that was open when the flow ended, for the wrap-up report."""
        self._after_frame = after_frame
        self._unstored: list[Callable[[], bool]] = []
        """Messages applied and shown but not yet stored, oldest first (at most a frame)."""

    # Reading ---------------------------------------------------------------------------

    @property
    def view(self) -> AlertView | None:
        return self.book.get(self.alert_id) if self.alert_id else None

    @property
    def active(self) -> bool:
        view = self.view
        return view is not None and not view.closed

    def raise_delivery(self) -> DeliveryState | None:
        if self.raise_event_id is None:
            return None
        return self.deliveries.get(self.raise_event_id)

    def undo_left(self, now: datetime) -> float:
        """Seconds left to undo a Manager tap (0 once the window has passed)."""
        if self.undo_until is None or not self.active:
            return 0.0
        return max(0.0, (self.undo_until - now).total_seconds())

    @property
    def topic(self) -> str:
        return topics.kiosk_alert(self.identity.store, self.identity.device)

    # Taps ------------------------------------------------------------------------------

    def would_change(self, level: Level, *, silent: bool = False) -> bool:
        """Whether :meth:`request` would raise or upgrade (for instant on-screen feedback)."""
        view = self.view
        if view is None or view.closed:
            return True
        if LEVEL_RANK[level] > LEVEL_RANK[view.level]:
            return True
        return view.silent and not silent and level == view.level

    def request(
        self,
        level: Level,
        now: datetime,
        context: AlertContext,
        *,
        silent: bool = False,
        flow: FlowSnapshot | None = None,
    ) -> TapResult:
        """One tap on Manager or Security (or the disguised silent control).

        A first tap raises a new alert. A tap on a higher level raises the same alert id
        again (manager → security). A tap on the same or a lower level changes nothing: help
        is already asked for, and a second alert would only confuse responders. ``flow`` is
        journaled with the raise (one write, one fsync, on the tap's path).
        """
        view = self.view
        if view is not None and not view.closed:
            if not self.would_change(level, silent=silent):
                return "already"
            alert_id, result = view.alert_id, "upgraded"
            self.undo_until = None  # an upgrade is never undone by the manager's undo
        else:
            alert_id, result = uuid.uuid4(), "raised"
            self.undo_until = (
                now + timedelta(seconds=self.undo_seconds) if level == "manager" else None
            )
            self.deliveries.clear()
        message = AlertRaised(
            store=self.identity.store,
            device=self.identity.device,
            alert_id=alert_id,
            level=level,
            silent=silent,
            counter=self.identity.counter,
            context=context,
            drill=self.identity.drill,
            sent_at=now,
        )
        self.alert_id = alert_id
        self.raise_event_id = message.event_id
        self.raised_locally_at = now
        # a new incident starts a fresh journal: whatever came before is over
        fresh = result == "raised"
        stored = self._emit(message, flow=flow, fresh=fresh, after_frame=True)
        return result if stored else "error"

    def undo(self, now: datetime) -> bool:
        """Undo a Manager tap inside its window: recorded as a false alarm."""
        if self.undo_left(now) <= 0:
            return False
        return self.cancel("false_alarm", now)

    def cancel(self, reason: Literal["false_alarm", "resolved_at_counter"], now: datetime) -> bool:
        """Close our open alert from the kiosk ("false alarm" or "resolved at the counter")."""
        view = self.view
        if view is None or view.closed:
            return False
        message = AlertCancelled(
            store=self.identity.store,
            device=self.identity.device,
            alert_id=view.alert_id,
            reason=reason,
            drill=self.identity.drill,
            sent_at=now,
        )
        self.undo_until = None
        return self._emit(message)

    def forget(self) -> None:
        """The flow ended: the next tap starts a new incident."""
        self.closed_alert_id = self.alert_id
        self.alert_id = None
        self.raise_event_id = None
        self.undo_until = None
        self.send_error = None

    # Network (already on the UI thread) -----------------------------------------------

    def on_message(self, message: Message) -> bool:
        """An acknowledgement, rung or resolution from the store; True if our view changed."""
        if self.alert_id is None or getattr(message, "alert_id", None) != self.alert_id:
            return False
        before = self.view
        known = before.event_ids if before is not None else frozenset()
        changed = self.book.apply(message) is not None
        after = self.view
        if self.journal is not None and after is not None and message.event_id not in known:
            if message.event_id in after.event_ids:  # it became part of the alert: keep it
                self.journal.record_message(message, own=False)
        return changed

    def restore(self, journaled: Journaled, delivery: Callable[[uuid.UUID], Stored]) -> bool:
        """Fold a journal back in after a restart; True if there is an alert to show.

        ``delivery`` says how each of our own messages stands in the outbox: still there →
        queued (the panel says NOT DELIVERED and the courier keeps sending it), gone → the
        broker took it. The ladder counts from the raise time in the messages themselves.
        """
        raises = journaled.own_raises
        if journaled.alert_id is None or not raises:
            return False
        for entry in journaled.entries:
            self.book.apply(entry.message)
        if self.book.get(journaled.alert_id) is None:
            return False
        latest = max(raises, key=lambda m: m.sent_at)
        self.alert_id = journaled.alert_id
        self.raise_event_id = latest.event_id
        self.raised_locally_at = latest.sent_at
        first = min(raises, key=lambda m: m.sent_at)
        if len(raises) == 1 and first.level == "manager":
            self.undo_until = first.sent_at + timedelta(seconds=self.undo_seconds)
        for entry in journaled.entries:
            if entry.own:
                self.deliveries[entry.message.event_id] = delivery(entry.message.event_id)
        return True

    def on_delivery(self, event_id: uuid.UUID, status: DeliveryState) -> bool:
        """A delivery status from the courier; True if it was one of ours."""
        if event_id not in self.deliveries:
            return False
        if self.deliveries[event_id] == "recorded" and status == "delivered":
            return False  # never step back
        self.deliveries[event_id] = status
        return True

    # Timer -----------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[str]:
        """Publish every due rung of the ladder (applied locally first); their step ids."""
        view = self.view
        if view is None or view.closed:
            return []
        decision = decide(view, now, self.presence.summary(), self.policy)
        messages = escalation_messages(
            decision, view, self.identity.store, self.identity.device, now=now
        )
        return [message.step_id for message in messages if self._emit(message)]

    # Internals -------------------------------------------------------------------------

    def _emit(
        self,
        message: Message,
        *,
        flow: FlowSnapshot | None = None,
        fresh: bool = False,
        after_frame: bool = False,
    ) -> bool:
        """Apply locally, then store and publish, then journal. A storage failure is shown,
        not hidden (and a raise that is not in the outbox is never journaled).

        ``after_frame`` (a tap): the storing waits for the frame that shows the tap, when the
        app gave an ``after_frame`` runner; True then means "shown", and a later failure turns
        the panel to NOT DELIVERED. Whatever follows an unstored message waits behind it, so
        the outbox keeps the order in which things happened.
        """
        self.book.apply(message)
        self.deliveries.setdefault(message.event_id, "queued")
        store = partial(self._store, message, flow=flow, fresh=fresh)
        if self._unstored or (after_frame and self._after_frame is not None):
            self._unstored.append(store)
            if len(self._unstored) == 1 and self._after_frame is not None:
                self._after_frame(self.store_pending)
            return True
        return store()

    def store_pending(self) -> None:
        """Store what a tap left for after its frame (also safe to call when nothing is)."""
        while self._unstored:
            self._unstored.pop(0)()

    def _store(
        self, message: Message, *, flow: FlowSnapshot | None = None, fresh: bool = False
    ) -> bool:
        try:
            self.sender.send(message, self.topic)
        except Exception as error:  # ProtocolError / OutboxError: nothing was claimed
            log.exception("%s: could not store %s", self.identity.device, message.type)
            self.deliveries[message.event_id] = "failed"
            self.send_error = str(error)
            if fresh and self.journal is not None:
                self.journal.clear()
            return False
        if self.journal is not None:  # after the outbox: never restore a "sent" that was not
            self.journal.record_message(message, own=True, flow=flow, fresh=fresh)
        if self.on_change is not None:
            self.on_change()
        return True
