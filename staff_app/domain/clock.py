"""Time for the domain: a scheduler interface, and a fake clock that tests advance by hand."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Handle(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Runs a callback later on the UI thread (Kivy: ``Clock.schedule_once``)."""

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> Handle: ...

    def now(self) -> datetime: ...


@dataclass(eq=False)
class _Timer:
    due: float
    fn: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeClock:
    """A scheduler whose time only moves when :meth:`advance` is called (tests, screenshots)."""

    start: datetime = field(default_factory=lambda: datetime(2025, 1, 6, 9, 0, tzinfo=UTC))
    elapsed: float = 0.0
    _queue: list[tuple[float, int, _Timer]] = field(default_factory=list)
    _seq: itertools.count = field(default_factory=itertools.count)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> _Timer:
        timer = _Timer(self.elapsed + max(delay_s, 0.0), fn)
        heapq.heappush(self._queue, (timer.due, next(self._seq), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, running every timer that falls due, in order."""
        end = self.elapsed + seconds
        while self._queue and self._queue[0][0] <= end:
            due, _, timer = heapq.heappop(self._queue)
            self.elapsed = max(self.elapsed, due)
            if not timer.cancelled:
                timer.fn()
        self.elapsed = end

    def pending(self) -> int:
        return sum(1 for _, _, timer in self._queue if not timer.cancelled)
