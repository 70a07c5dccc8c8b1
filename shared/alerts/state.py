"""The alert reducer: how kiosk, pager and hub turn the messages of one alert into what to show.

Why a fold over stored messages instead of an in-place update: delivery is at least once and,
across reconnects and two escalation publishers (kiosk and hub), not always in order. A view
keeps the few dozen messages it accepted and re-folds them in ``sent_at`` order (the first
raise always first), so it is a function of the *set* of messages: every device converges on
the same view, and the same "first responder", whatever order they arrived in.

Rules (each one is a test):
- One incident keeps one ``alert_id``; raising it again changes the level. Raising it to a
  *higher* level (manager -> security) starts a new request: earlier acknowledgements stay in
  the history but the new level waits for its own acknowledgement and its own ladder.
- The earliest acknowledgement (by ``sent_at``) is the first responder; later devices are extra
  responders; the same device twice, the raising kiosk acknowledging itself, a cancel or
  re-raise from another device, and messages for another store are ignored.
- An escalation step never changes who answered: an acknowledgement that raced a re-page still
  wins, and the rung is only listed in ``escalation_steps_done``.
- A closed alert (resolved or cancelled) ignores everything that arrives afterwards.
- Messages about an alert whose raise has not arrived yet (an ack replayed after a reconnect)
  wait in the bounded pending buffer of :class:`shared.alerts.book.AlertBook` and are folded
  in when it arrives.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertEscalated,
    AlertRaised,
    AlertStatus,
    Level,
    Message,
    OnScene,
    Resolved,
    ResponderRole,
)

AlertMessage = AlertRaised | AlertCancelled | AlertEscalated | Acknowledged | OnScene | Resolved
ALERT_MESSAGE_TYPES = (AlertRaised, AlertCancelled, AlertEscalated, Acknowledged, OnScene, Resolved)
LEVEL_RANK: dict[str, int] = {"manager": 1, "security": 2}
MAX_MESSAGES_PER_ALERT = 256
"""A misbehaving pager must not grow a view without bound; closing messages are always taken."""


@dataclass(frozen=True, slots=True)
class Responder:
    """A named person who answered: the kiosk shows "Alex (security), ~2 min"."""

    name: str
    role: ResponderRole
    device: str
    at: datetime
    eta_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    event: str  # the message type, e.g. "acknowledged"; the UI localises from it
    detail: str


@dataclass(frozen=True, slots=True)
class LevelChange:
    at: datetime
    level: Level
    silent: bool


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything a screen or the escalation policy needs to know about one alert."""

    alert_id: uuid.UUID
    store: str
    kiosk: str
    counter: str
    level: Level
    silent: bool
    drill: bool
    context: AlertContext
    raised_at: datetime
    awaiting_since: datetime
    """When the current request began: the first raise, or the latest raise to a higher level.
    Escalation ladders count from here."""
    status: AlertStatus = "raised"
    first_responder: Responder | None = None
    extra_responders: tuple[Responder, ...] = ()
    current_responders: tuple[Responder, ...] = ()
    """Who acknowledged the current request (after the latest upgrade), in order."""
    escalation_steps_done: tuple[str, ...] = ()
    notified_roles: frozenset[ResponderRole] = frozenset()
    extra_responders_requested: int = 0
    call_for_help: bool = False
    """The ladder's last rung for the current request was reached."""
    cancel_reason: str | None = None
    resolved_by: Responder | None = None
    closed: bool = False
    closed_at: datetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    levels: tuple[LevelChange, ...] = ()
    messages: tuple[AlertMessage, ...] = field(default=(), compare=False, repr=False)

    @property
    def responders(self) -> tuple[Responder, ...]:
        first = (self.first_responder,) if self.first_responder else ()
        return first + self.extra_responders

    @property
    def needs_call_for_help(self) -> bool:
        """True when the kiosk must tell staff plainly to phone or call out: nobody answered."""
        return self.call_for_help and self.status == "raised"

    @property
    def event_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(message.event_id for message in self.messages)


def apply(view: AlertView | None, message: Message) -> AlertView | None:
    """Return the view after ``message`` (pure).

    With no view, only an AlertRaised creates one; anything else returns None (the
    :class:`AlertBook` buffers it). Ignored messages (duplicates, anything after close, other
    message types) return ``view`` itself, so ``new is view`` means "nothing to do".
    """
    if not isinstance(message, ALERT_MESSAGE_TYPES):
        return view
    if view is None:
        return fold([message]) if isinstance(message, AlertRaised) else None
    if message.alert_id != view.alert_id:
        raise ValueError(f"message for alert {message.alert_id} applied to {view.alert_id}")
    if view.closed or message.event_id in view.event_ids:
        return view
    closing = isinstance(message, AlertCancelled | Resolved)
    if len(view.messages) >= MAX_MESSAGES_PER_ALERT and not closing:
        return view
    folded = fold((*view.messages, message))
    assert folded is not None  # the view's own raise is among the messages
    return folded


def fold(messages: Iterable[AlertMessage]) -> AlertView | None:
    """Build the view from a set of messages of one alert, or None if none is a raise."""
    unique = list({message.event_id: message for message in messages}.values())
    raises = [message for message in unique if isinstance(message, AlertRaised)]
    if not raises:
        return None
    first = min(raises, key=_order)
    ordered = [first, *sorted((m for m in unique if m is not first), key=_order)]
    state = _Fold(first)
    for message in ordered[1:]:
        state.take(message)
    return state.view(tuple(ordered))


def _person(message: Acknowledged | OnScene | Resolved, eta: int | None) -> Responder:
    return Responder(
        message.responder_name, message.responder_role, message.device, message.sent_at, eta
    )


def _order(message: Message) -> tuple[datetime, str]:
    return (message.sent_at, str(message.event_id))


class _Fold:
    """Mutable accumulator used only inside :func:`fold`."""

    def __init__(self, raised: AlertRaised) -> None:
        self.raised = raised
        self.level: Level = raised.level
        self.silent = raised.silent
        self.context = raised.context
        self.levels = [LevelChange(raised.sent_at, raised.level, raised.silent)]
        self.awaiting_since = raised.sent_at
        self.responders: dict[str, Responder] = {}  # device -> first answer, in time order
        self.current: dict[str, Responder] = {}  # device -> answer to the current request
        self.on_scene: set[str] = set()
        self.steps: dict[str, AlertEscalated] = {}
        self.notified: set[ResponderRole] = set()
        self.extra_requested = 0
        self.call_for_help = False
        self.status: AlertStatus | None = None  # set once closed
        self.cancel_reason: str | None = None
        self.resolved_by: Responder | None = None
        self.closed_at: datetime | None = None
        quiet = " (silent)" if raised.silent else ""
        self.timeline = [
            TimelineEntry(raised.sent_at, raised.type, f"{raised.level}{quiet} at {raised.counter}")
        ]

    def take(self, message: AlertMessage) -> None:
        if self.status is not None or message.store != self.raised.store:
            return
        if isinstance(message, AlertRaised):
            self._raise(message)
        elif isinstance(message, AlertCancelled):
            self._cancel(message)
        elif isinstance(message, AlertEscalated):
            self._escalate(message)
        elif message.device != self.raised.device:  # nobody acknowledges their own alert
            if isinstance(message, Acknowledged):
                self._acknowledge(message)
            elif isinstance(message, OnScene):
                self._on_scene(message)
            else:
                self._resolve(message)

    def _note(self, message: Message, detail: str) -> None:
        self.timeline.append(TimelineEntry(message.sent_at, message.type, detail))

    def _raise(self, message: AlertRaised) -> None:
        if message.device != self.raised.device:
            return
        self.context = message.context
        if (message.level, message.silent) == (self.level, self.silent):
            return
        if LEVEL_RANK[message.level] > LEVEL_RANK[self.level]:
            # A higher level is a new request: it needs its own acknowledgement and ladder.
            self.awaiting_since = message.sent_at
            self.current.clear()
            self.on_scene.clear()
            self.call_for_help = False
        self.level, self.silent = message.level, message.silent
        self.levels.append(LevelChange(message.sent_at, message.level, message.silent))
        self._note(message, f"raised to {message.level}{' (silent)' if message.silent else ''}")

    def _cancel(self, message: AlertCancelled) -> None:
        if message.device != self.raised.device:  # only the raising kiosk may cancel
            return
        self.status = "cancelled"
        self.cancel_reason = message.reason
        self.closed_at = message.sent_at
        self._note(message, message.reason)

    def _escalate(self, message: AlertEscalated) -> None:
        if message.step_id in self.steps:
            return
        self.steps[message.step_id] = message
        self.notified.update(message.notify_roles)
        self.extra_requested += message.extra_responders
        self.call_for_help = self.call_for_help or message.call_for_help
        self._note(message, f"{message.step_id}: {message.reason}".rstrip(": "))

    def _responder(self, message: Acknowledged | OnScene | Resolved) -> Responder:
        eta = message.eta_minutes if isinstance(message, Acknowledged) else None
        known = self.responders.get(message.device)
        if known is None:
            known = _person(message, eta)
            self.responders[message.device] = known
        return known

    def _acknowledge(self, message: Acknowledged) -> None:
        if message.device in self.current:
            return  # the same responder twice
        self._responder(message)
        self.current[message.device] = _person(message, message.eta_minutes)
        eta = f", ~{message.eta_minutes} min" if message.eta_minutes is not None else ""
        self._note(message, f"{message.responder_name} ({message.responder_role}) on the way{eta}")

    def _on_scene(self, message: OnScene) -> None:
        if message.device in self.on_scene:
            return
        known = self._responder(message)  # arriving without an ack still counts as answering
        self.current.setdefault(message.device, known)
        self.on_scene.add(message.device)
        self._note(message, f"{message.responder_name} ({message.responder_role}) on scene")

    def _resolve(self, message: Resolved) -> None:
        self.resolved_by = self._responder(message)
        self.status = "resolved"
        self.closed_at = message.sent_at
        note = f": {message.note}" if message.note else ""
        self._note(message, f"resolved by {message.responder_name}{note}")

    def view(self, messages: tuple[AlertMessage, ...]) -> AlertView:
        if self.status is not None:
            status = self.status
        elif self.on_scene:
            status = "on_scene"
        elif self.current:
            status = "acknowledged"
        else:
            status = "raised"
        answered = list(self.responders.values())
        raised = self.raised
        return AlertView(
            alert_id=raised.alert_id,
            store=raised.store,
            kiosk=raised.device,
            counter=raised.counter,
            level=self.level,
            silent=self.silent,
            drill=raised.drill,
            context=self.context,
            raised_at=raised.sent_at,
            awaiting_since=self.awaiting_since,
            status=status,
            first_responder=answered[0] if answered else None,
            extra_responders=tuple(answered[1:]),
            current_responders=tuple(self.current.values()),
            escalation_steps_done=tuple(self.steps),
            notified_roles=frozenset(self.notified),
            extra_responders_requested=self.extra_requested,
            call_for_help=self.call_for_help,
            cancel_reason=self.cancel_reason,
            resolved_by=self.resolved_by,
            closed=self.status is not None,
            closed_at=self.closed_at,
            timeline=tuple(self.timeline),
            levels=tuple(self.levels),
            messages=messages,
        )
