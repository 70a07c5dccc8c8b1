"""The ring controller: repeat the level's tone until nobody needs to hear it any more.

The pager core decides *whether* to ring (an open, unanswered alert routed to this role) and
calls :meth:`RingController.ring` or :meth:`RingController.stop`; this module only handles the
rhythm. Audio and vibration are interfaces, so tests use :class:`RecordingAudio` with a
:class:`~staff_app.domain.clock.FakeClock` and the app uses Kivy's SoundLoader and plyer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared.protocol import Level
from staff_app.domain.clock import Handle, Scheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RingPattern:
    """How one level rings: which tone, how often, and how long to vibrate each time."""

    tone: Level
    every_s: float
    vibrate_s: float


PATTERNS: dict[str, RingPattern] = {
    # Security is urgent: a warble every 2 s with a long buzz. Manager: a chime every 4 s.
    "security": RingPattern("security", every_s=2.0, vibrate_s=1.0),
    "manager": RingPattern("manager", every_s=4.0, vibrate_s=0.4),
}


LOST_VIBRATE_S = 1.5
"""The buzz when the connection drops: longer than any ring's, so it feels different."""


class AudioBackend(Protocol):
    """Plays one of the two tones. Implementations must not raise: a broken speaker must
    never stop the screen from showing the alert."""

    def play(self, tone: Level) -> None: ...

    def stop(self) -> None: ...


class Vibrator(Protocol):
    def vibrate(self, seconds: float) -> None: ...

    def cancel(self) -> None: ...


@dataclass
class RecordingAudio:
    """A fake backend for tests: remembers what it was asked to do."""

    played: list[Level] = field(default_factory=list)
    stops: int = 0

    def play(self, tone: Level) -> None:
        self.played.append(tone)

    def stop(self) -> None:
        self.stops += 1


@dataclass
class RecordingVibrator:
    buzzes: list[float] = field(default_factory=list)
    cancels: int = 0

    def vibrate(self, seconds: float) -> None:
        self.buzzes.append(seconds)

    def cancel(self) -> None:
        self.cancels += 1


class RingController:
    """Rings the current level's pattern repeatedly until :meth:`stop`."""

    def __init__(
        self,
        audio: AudioBackend,
        scheduler: Scheduler,
        *,
        vibrator: Vibrator | None = None,
        on_ring: Callable[[Level], None] | None = None,
        patterns: dict[str, RingPattern] = PATTERNS,
    ) -> None:
        self._audio = audio
        self._scheduler = scheduler
        self._vibrator = vibrator
        self._on_ring = on_ring
        self._patterns = patterns
        self._next: Handle | None = None
        self.level: Level | None = None
        self.rings = 0
        self.lost_notices = 0

    @property
    def ringing(self) -> bool:
        return self.level is not None

    def ring(self, level: Level) -> None:
        """Start ringing ``level`` (or switch to it); already ringing it: nothing changes."""
        if level == self.level:
            return
        self._cancel_timer()
        self.level = level
        self._cycle()

    def connection_lost(self) -> None:
        """One chime and a long buzz: the link dropped, this pager can no longer be paged.
        Not repeated (the screen says NOT CONNECTED until it is back), and never on top of
        a ring already going."""
        self.lost_notices += 1
        if self.level is not None:
            return
        self._audio.play("manager")
        if self._vibrator is not None:
            self._vibrator.vibrate(LOST_VIBRATE_S)

    def stop(self) -> None:
        if self.level is None:
            return
        self.level = None
        self._cancel_timer()
        self._audio.stop()
        if self._vibrator is not None:
            self._vibrator.cancel()

    def _cycle(self) -> None:
        level = self.level
        if level is None:
            return
        pattern = self._patterns[level]
        self.rings += 1
        self._audio.play(pattern.tone)
        if self._vibrator is not None:
            self._vibrator.vibrate(pattern.vibrate_s)
        if self._on_ring is not None:
            self._on_ring(level)
        self._next = self._scheduler.call_later(pattern.every_s, self._cycle)

    def _cancel_timer(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None
