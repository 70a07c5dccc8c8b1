"""Who can be paged right now: responder presence from the retained status topics.

The escalation policy only needs counts per role: how many managers / security staff are on
duty, and how many of those have a pager online. ``on_duty`` counts people on shift whatever
their device says; ``online`` counts the ones we can actually reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.protocol import Presence, ResponderRole


@dataclass(frozen=True, slots=True)
class RoleCount:
    on_duty: int = 0
    online: int = 0  # on duty *and* online: can be paged now

    def __post_init__(self) -> None:
        if not 0 <= self.online <= self.on_duty:
            raise ValueError(f"online ({self.online}) must be within 0..on_duty ({self.on_duty})")


@dataclass(frozen=True, slots=True)
class PresenceSummary:
    """Counts per responder role. ``known=False`` means "no presence data yet": the policy then
    runs the plain timed ladder instead of concluding that nobody is there."""

    manager: RoleCount = field(default_factory=RoleCount)
    security: RoleCount = field(default_factory=RoleCount)
    known: bool = True

    def of(self, role: ResponderRole) -> RoleCount:
        return self.manager if role == "manager" else self.security

    @classmethod
    def unknown(cls) -> PresenceSummary:
        return cls(known=False)


@dataclass(frozen=True, slots=True)
class _Status:
    kind: str
    role: str
    online: bool
    on_duty: bool
    sent_at: datetime


class PresenceBook:
    """Latest presence per device, and the :class:`PresenceSummary` built from it.

    Ordering is by ``sent_at`` (a stale replay never overrides newer news), with one exception:
    the Last Will (``online=False, clean=False``) is built when the pager *connects* but published
    by the broker when it *dies*, so its timestamp is older than the messages it must override.
    It is therefore always applied on arrival. If a stale will were ever replayed, the only harm
    is escalating sooner, never waiting on a dead pager; the pager's next message corrects it.
    A will also keeps the last known ``on_duty``: the person is still on shift, their pager fell
    off the network, which is exactly the "on duty but offline" case the policy skips at once.
    """

    def __init__(self, store: str | None = None) -> None:
        self._store = store
        self._devices: dict[str, _Status] = {}
        self._synced = False

    def apply(self, message: Presence) -> bool:
        """Take one presence message; True if the device's status changed."""
        if self._store is not None and message.store != self._store:
            return False
        previous = self._devices.get(message.device)
        will = not message.online and not message.clean
        if previous is not None and not will and message.sent_at < previous.sent_at:
            return False
        on_duty = message.on_duty or (will and previous is not None and previous.on_duty)
        sent_at = message.sent_at
        if will and previous is not None:
            sent_at = max(sent_at, previous.sent_at)
        status = _Status(message.kind, message.role, message.online, on_duty, sent_at)
        self._devices[message.device] = status
        return previous is None or (previous.online, previous.on_duty, previous.role) != (
            status.online,
            status.on_duty,
            status.role,
        )

    def mark_synced(self) -> None:
        """Call once the retained status messages have been received after subscribing: from
        then on, no pager presence really means nobody is there."""
        self._synced = True

    def is_online(self, device: str) -> bool:
        status = self._devices.get(device)
        return status is not None and status.online

    def summary(self) -> PresenceSummary:
        counts: dict[str, list[int]] = {"manager": [0, 0], "security": [0, 0]}
        for status in self._devices.values():
            if status.kind != "pager" or status.role not in counts or not status.on_duty:
                continue
            counts[status.role][0] += 1
            counts[status.role][1] += int(status.online)
        known = self._synced or any(s.kind == "pager" for s in self._devices.values())
        return PresenceSummary(
            manager=RoleCount(*counts["manager"]),
            security=RoleCount(*counts["security"]),
            known=known,
        )
