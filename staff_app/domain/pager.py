"""What a pager knows and does, in plain Python: the core the view-model wraps.

:class:`PagerCore` is fed every message from the runtime (already on the UI thread) and the
link's ups and downs. It keeps an :class:`~shared.alerts.AlertBook`, decides which alerts this
pager shows and rings for (shared routing), which one takes over the screen, and which arrived
late. Its actions build the protocol messages and hand them to ``send`` (the runtime's outbox).

Late and already-closed alerts: a pager that was offline gets the messages queued for its
persistent session as a burst on reconnect: a raise, then perhaps the acknowledgement and the
resolve. An alert is *late* if it was raised before this connection began or is older than
``late_after_s`` on arrival. A late alert rings only after ``settle_s`` (the rest of the burst
arrives meanwhile), and only if it is still open and unanswered then: an alert resolved while
the pager was away is listed in the history, never rung.

Restart: with a :class:`~staff_app.domain.journal.PagerJournal`, every alert message the core
takes is recorded on the device, and :meth:`PagerCore.restore` replays it at start. Restored
alerts are treated like late ones: an open alert still unanswered for this role rings again
after ``settle_s`` (it still needs someone); acknowledged or closed ones do not ring.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared import topics
from shared.alerts import AlertBook, AlertView, Routing, should_ring, should_show
from shared.alerts.routing import DEFAULT_ROUTING
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    Message,
    OnScene,
    Resolved,
    ResponderMessage,
    ResponderRole,
)
from staff_app.domain.clock import Handle, Scheduler
from staff_app.domain.journal import JournalRecord, PagerJournal
from staff_app.domain.ring import RingController

LATE_AFTER_S = 20.0
"""An alert older than this when it arrives is marked late even without a reconnect."""
SETTLE_S = 1.5
"""How long a late alert waits for the rest of the reconnect burst before it may ring."""
CLOCK_GRACE_S = 2.0
"""Clock skew tolerated between kiosk and pager when comparing with the connection start."""

Send = Callable[[Message, str], None]
MyPart = Literal["none", "acknowledged", "on_scene"]
Outcome = Literal["resolved", "false_alarm", "resolved_at_counter"]


@dataclass(frozen=True, slots=True)
class Holder:
    """The person carrying this pager, from the provisioned device file."""

    device: str
    store: str
    role: ResponderRole
    display_name: str


@dataclass(frozen=True, slots=True)
class Arrival:
    received_at: datetime
    late: bool
    ring_from: datetime


@dataclass(frozen=True, slots=True)
class PagerAlert:
    """One alert as this pager sees it."""

    view: AlertView
    arrival: Arrival
    ringing: bool
    mine: MyPart

    @property
    def alert_id(self) -> uuid.UUID:
        return self.view.alert_id

    @property
    def late(self) -> bool:
        return self.arrival.late

    def age_s(self, now: datetime) -> float:
        return max(0.0, (now - self.view.raised_at).total_seconds())

    @property
    def can_acknowledge(self) -> bool:
        return not self.view.closed and self.mine == "none"

    @property
    def can_go_on_scene(self) -> bool:
        return not self.view.closed and self.mine != "on_scene"

    @property
    def can_resolve(self) -> bool:
        """Only after acknowledging: resolving an alert nobody went to would close it unseen."""
        return not self.view.closed and self.mine != "none"


@dataclass(frozen=True, slots=True)
class StoodDown:
    """An alert this pager had on its screen or list, called off at the counter: the
    responder on the way must hear it, not just see the alert vanish."""

    alert_id: uuid.UUID
    counter: str
    reason: Literal["false_alarm", "resolved_at_counter"]
    drill: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One of today's closed alerts: what happened and how fast someone answered."""

    alert_id: uuid.UUID
    counter: str
    level: str
    situation: str | None
    drill: bool
    late: bool
    raised_at: datetime
    outcome: Outcome
    closed_by: str | None
    first_responder: str | None
    time_to_ack_s: float | None


def format_duration(seconds: float) -> str:
    """04:31 below an hour, 1:04:31 above."""
    total = int(max(seconds, 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def pager_subscriptions(store: str) -> list[str]:
    """What a pager listens to: every kiosk's alerts, every pager's answers, the hub's rungs."""
    return [
        topics.all_kiosk_alerts(store),
        topics.all_pager_acks(store),
        topics.all_hub_escalations(store),
    ]


class PagerCore:
    """The pager's state and actions. Call everything on one thread (the UI thread)."""

    def __init__(
        self,
        holder: Holder,
        *,
        send: Send,
        scheduler: Scheduler,
        ring: RingController,
        routing: Routing = DEFAULT_ROUTING,
        on_duty: bool = True,
        on_change: Callable[[], None] | None = None,
        late_after_s: float = LATE_AFTER_S,
        settle_s: float = SETTLE_S,
        journal: PagerJournal | None = None,
    ) -> None:
        self.holder = holder
        self.book = AlertBook()
        self.routing = routing
        self.on_duty = on_duty
        self.online = False
        self.connected_since: datetime | None = None
        self._send = send
        self._scheduler = scheduler
        self._ring = ring
        self.on_change = on_change
        self._late_after = timedelta(seconds=late_after_s)
        self._settle = timedelta(seconds=settle_s)
        self._arrivals: dict[uuid.UUID, Arrival] = {}
        self._ringing: frozenset[uuid.UUID] = frozenset()
        self._selected: uuid.UUID | None = None
        self._browsing = False
        self._recheck: Handle | None = None
        self.journal = journal
        self.stood_down: list[StoodDown] = []
        """Alerts called off while this pager showed them, newest last, until dismissed."""

    # Inputs --------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._scheduler.now()

    def link_up(self) -> None:
        """The link is (re)connected: what arrives next may be the offline backlog."""
        self.online = True
        self.connected_since = self.now()
        self._changed()

    def link_down(self) -> None:
        """The link dropped: say so on screen, and buzz once if this pager is on duty."""
        was_online, self.online = self.online, False
        if was_online and self.on_duty:
            self._ring.connection_lost()
        self._changed()

    def receive(self, message: Message) -> None:
        """Take one message from the store (duplicates and foreign stores are ignored)."""
        if getattr(message, "store", None) != self.holder.store:
            return
        alert_id = getattr(message, "alert_id", None)
        had = self._had_on_screen(alert_id)
        changed = self.book.apply(message) is not None
        if (
            changed
            and had
            and isinstance(message, AlertCancelled)
            and message.reason in ("false_alarm", "resolved_at_counter")
        ):
            self.stood_down.append(
                StoodDown(
                    message.alert_id,
                    self.book[message.alert_id].counter or message.device,
                    message.reason,  # type: ignore[arg-type]
                    message.drill,
                    self.now(),
                )
            )
        if changed and alert_id is not None and alert_id not in self._arrivals:
            self._arrivals[alert_id] = self._arrival(self.book[alert_id])
        self._record(message)  # also a buffered one (its raise may come later)
        if changed:
            self._refresh()

    def owner_of(self, alert_id: uuid.UUID) -> str | None:
        """Who raised an alert this pager knows (restored from its journal, or received)."""
        view = self.book.get(alert_id)
        return view.kiosk if view is not None else None

    def restore(self, records: Iterable[JournalRecord]) -> int:
        """Replay the journal at start (before the link is up); return how many applied.

        Each restored alert keeps its original arrival time and late flag, and may ring only
        ``settle_s`` from now, like a late alert: by then the session's re-delivery may have
        told us someone answered it meanwhile.
        """
        now = self.now()
        first: dict[uuid.UUID, JournalRecord] = {}
        applied = 0
        for record in records:
            message = record.message
            if message.store != self.holder.store:
                continue
            self.book.apply(message)
            applied += 1
            seen = first.get(message.alert_id)
            if seen is None or (seen.late is None and record.late is not None):
                first[message.alert_id] = record
        for alert_id, record in first.items():
            if alert_id in self.book and alert_id not in self._arrivals:
                late = bool(record.late)
                self._arrivals[alert_id] = Arrival(record.received_at, late, now + self._settle)
        self._refresh()
        return applied

    def set_on_duty(self, on_duty: bool) -> None:
        """Off duty: alerts are still listed, but the pager does not ring."""
        self.on_duty = on_duty
        self._refresh()

    def select(self, alert_id: uuid.UUID | None) -> None:
        """Show this alert on the alert screen; None: back to the list until a new alert rings."""
        self._selected = alert_id
        self._browsing = alert_id is None
        self._changed()

    def dismiss_stood_down(self) -> None:
        """The holder has read the stood-down notice(s)."""
        if self.stood_down:
            self.stood_down.clear()
            self._changed()

    # Actions -------------------------------------------------------------------------

    def acknowledge(self, alert_id: uuid.UUID, eta_minutes: int | None = None) -> Acknowledged:
        """ "On my way": rings stop here and, once it is delivered, on every other pager."""
        message = Acknowledged(**self._responder_fields(alert_id), eta_minutes=eta_minutes)
        self._act(message)
        return message

    def on_scene(self, alert_id: uuid.UUID) -> OnScene:
        message = OnScene(**self._responder_fields(alert_id))
        self._act(message)
        return message

    def resolve(self, alert_id: uuid.UUID, note: str = "") -> Resolved:
        message = Resolved(**self._responder_fields(alert_id), note=note.strip()[:200])
        self._act(message)
        return message

    def _responder_fields(self, alert_id: uuid.UUID) -> dict[str, object]:
        view = self.book.get(alert_id)
        if view is None:
            raise KeyError(f"{self.holder.device}: no alert {alert_id} on this pager")
        return {
            "store": self.holder.store,
            "device": self.holder.device,
            "alert_id": alert_id,
            "responder_name": self.holder.display_name or self.holder.device,
            "responder_role": self.holder.role,
            "drill": view.drill,
            "sent_at": self.now(),
        }

    def _act(self, message: ResponderMessage) -> None:
        # Outbox first (raises before anything is claimed), then show it here at once; the
        # echo from the broker is a duplicate event id and changes nothing.
        self._send(message, topics.pager_ack(self.holder.store, self.holder.device))
        self._selected = message.alert_id
        self._browsing = False
        self.book.apply(message)
        self._record(message)
        self._refresh()

    # Queries -------------------------------------------------------------------------

    def alert(self, alert_id: uuid.UUID) -> PagerAlert | None:
        view = self.book.get(alert_id)
        if view is None or not should_show(self.holder.role, view, self.routing):
            return None
        return PagerAlert(
            view, self._arrivals[alert_id], alert_id in self._ringing, self._my_part(view)
        )

    def active(self) -> list[PagerAlert]:
        """Open alerts for this pager: ringing first, security before manager, oldest first."""
        alerts = [self.alert(view.alert_id) for view in self.book.open_alerts()]
        shown = [alert for alert in alerts if alert is not None]
        return sorted(
            shown,
            key=lambda a: (not a.ringing, a.view.level != "security", a.view.raised_at),
        )

    def takeover(self) -> PagerAlert | None:
        """The alert that owns the screen: the one chosen, else one ringing, else my own;
        None while the holder browses the list (until another alert starts ringing)."""
        if self._browsing:
            return None
        active = self.active()
        for alert in active:
            if alert.alert_id == self._selected:
                return alert
        for alert in active:
            if alert.ringing or alert.mine != "none":
                return alert
        return None

    def history_today(self) -> list[HistoryEntry]:
        """Today's closed alerts shown on this pager, most recently closed first."""
        today = self.now().astimezone().date()
        entries = []
        for view in self.book.history():
            if view.raised_at.astimezone().date() != today:
                continue
            if not should_show(self.holder.role, view, self.routing):
                continue
            entries.append(self._history_entry(view))
        return entries

    @property
    def ringing(self) -> bool:
        return self._ring.ringing

    # Internals -----------------------------------------------------------------------

    def _arrival(self, view: AlertView) -> Arrival:
        now = self.now()
        old = now - view.raised_at > self._late_after
        before_connection = (
            self.connected_since is not None
            and view.raised_at < self.connected_since - timedelta(seconds=CLOCK_GRACE_S)
        )
        late = old or before_connection
        return Arrival(now, late, now + self._settle if late else now)

    def _record(self, message: Message) -> None:
        if self.journal is None:
            return
        alert_id = getattr(message, "alert_id", None)
        arrival = self._arrivals.get(alert_id) if alert_id is not None else None
        late = arrival.late if arrival is not None else None
        self.journal.append(message, received_at=self.now(), late=late)

    def _had_on_screen(self, alert_id: uuid.UUID | None) -> bool:
        """Was this alert open and visible here (listed, past its settling time)?"""
        view = self.book.get(alert_id) if alert_id is not None else None
        if view is None or view.closed or not should_show(self.holder.role, view, self.routing):
            return False
        arrival = self._arrivals.get(view.alert_id)
        return arrival is not None and arrival.ring_from <= self.now()

    def _my_part(self, view: AlertView) -> MyPart:
        me = self.holder.device
        if any(isinstance(m, OnScene) and m.device == me for m in view.messages):
            return "on_scene"
        if any(r.device == me for r in view.current_responders):
            return "acknowledged"
        return "none"

    def _refresh(self) -> None:
        """Recompute which alerts ring, drive the ring controller, then notify."""
        now = self.now()
        ringing: set[uuid.UUID] = set()
        wait_until: datetime | None = None
        for view in self.book.open_alerts():
            if not (self.on_duty and should_ring(self.holder.role, view, self.routing)):
                continue
            ring_from = self._arrivals[view.alert_id].ring_from
            if ring_from <= now:
                ringing.add(view.alert_id)
            elif wait_until is None or ring_from < wait_until:
                wait_until = ring_from
        if ringing - self._ringing:
            self._selected = None  # a new ringing alert takes the screen
            self._browsing = False
        self._ringing = frozenset(ringing)
        self._schedule_recheck(wait_until, now)
        levels = {self.book[alert_id].level for alert_id in ringing}
        if "security" in levels:
            self._ring.ring("security")
        elif "manager" in levels:
            self._ring.ring("manager")
        else:
            self._ring.stop()
        self._changed()

    def _schedule_recheck(self, when: datetime | None, now: datetime) -> None:
        if self._recheck is not None:
            self._recheck.cancel()
            self._recheck = None
        if when is not None:
            delay = (when - now).total_seconds()
            self._recheck = self._scheduler.call_later(delay, self._refresh)

    def _history_entry(self, view: AlertView) -> HistoryEntry:
        outcome: Outcome = "resolved"
        if view.status == "cancelled":
            false_alarm = view.cancel_reason == "false_alarm"
            outcome = "false_alarm" if false_alarm else "resolved_at_counter"
        first = view.first_responder
        to_ack = (first.at - view.raised_at).total_seconds() if first else None
        arrival = self._arrivals.get(view.alert_id)
        return HistoryEntry(
            alert_id=view.alert_id,
            counter=view.counter,
            level=view.level,
            situation=view.context.situation,
            drill=view.drill,
            late=arrival.late if arrival else False,
            raised_at=view.raised_at,
            outcome=outcome,
            closed_by=view.resolved_by.name if view.resolved_by else None,
            first_responder=first.name if first else None,
            time_to_ack_s=max(to_ack, 0.0) if to_ack is not None else None,
        )

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
