"""AlertBook: every alert a device knows, fed message by message, with bounded memory."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping

from shared.alerts.state import ALERT_MESSAGE_TYPES, AlertMessage, AlertView, apply, fold
from shared.protocol import AlertRaised, Message


class AlertBook(Mapping[uuid.UUID, AlertView]):
    """All alerts a device knows, by alert id, with bounded memory.

    - Deduplicates by event id over the last ``seen_limit`` ids (QoS 1 redelivery).
    - Buffers messages whose raise has not arrived yet (at most ``pending_alerts`` alerts and
      ``pending_per_alert`` messages each, oldest dropped first) and folds them in on arrival.
    - Keeps the ``history_limit`` most recently closed alerts; older ones are forgotten, and
      late messages for a forgotten alert are ignored rather than reopening it.
    """

    def __init__(
        self,
        *,
        history_limit: int = 200,
        seen_limit: int = 10_000,
        pending_alerts: int = 256,
        pending_per_alert: int = 64,
    ) -> None:
        self._views: dict[uuid.UUID, AlertView] = {}
        self._closed: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._forgotten: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._seen: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._pending: OrderedDict[uuid.UUID, list[AlertMessage]] = OrderedDict()
        self._history_limit = history_limit
        self._seen_limit = seen_limit
        self._pending_alerts = pending_alerts
        self._pending_per_alert = pending_per_alert

    def __getitem__(self, alert_id: uuid.UUID) -> AlertView:
        return self._views[alert_id]

    def __iter__(self) -> Iterator[uuid.UUID]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def apply(self, message: Message) -> AlertView | None:
        """Take one message; return the alert's new view if anything visible changed, else None."""
        if not isinstance(message, ALERT_MESSAGE_TYPES) or message.event_id in self._seen:
            return None
        _remember(self._seen, message.event_id, self._seen_limit)
        alert_id = message.alert_id
        if alert_id in self._forgotten:
            return None
        old = self._views.get(alert_id)
        if old is None:
            if not isinstance(message, AlertRaised):
                self._buffer(message)
                return None
            new = fold([message, *self._pending.pop(alert_id, [])])
        else:
            new = apply(old, message)
        assert new is not None  # a raise is among the messages
        self._views[alert_id] = new
        if new.closed and alert_id not in self._closed:
            self._close(alert_id)
        return None if new == old else new

    def open_alerts(self) -> list[AlertView]:
        """Open alerts, oldest first (the one waiting longest is the most urgent)."""
        return sorted((v for v in self._views.values() if not v.closed), key=lambda v: v.raised_at)

    def history(self) -> list[AlertView]:
        """Closed alerts, most recently closed first."""
        return [self._views[alert_id] for alert_id in reversed(self._closed)]

    def pending_count(self) -> int:
        """Messages waiting for their raise; non-zero for long hints at a lost raise."""
        return sum(len(messages) for messages in self._pending.values())

    def _buffer(self, message: AlertMessage) -> None:
        waiting = self._pending.setdefault(message.alert_id, [])
        waiting.append(message)
        del waiting[: -self._pending_per_alert]
        while len(self._pending) > self._pending_alerts:
            self._pending.popitem(last=False)

    def _close(self, alert_id: uuid.UUID) -> None:
        self._closed[alert_id] = None
        while len(self._closed) > self._history_limit:
            oldest, _ = self._closed.popitem(last=False)
            del self._views[oldest]
            _remember(self._forgotten, oldest, self._seen_limit)


def _remember(ring: OrderedDict[uuid.UUID, None], key: uuid.UUID, limit: int) -> None:
    ring[key] = None
    while len(ring) > limit:
        ring.popitem(last=False)
