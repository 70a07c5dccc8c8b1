"""Which pagers show an alert and which ones ring for it.

Routing is data (the ``[routing]`` table of ladders.toml, overridable per store). Defaults:
security pagers ring for security alerts; managers ring for manager alerts and also for
security alerts (a manager on the floor is often the nearest help). Any role that an
escalation step added through ``notify_roles`` rings too. Pagers ring only while the current
request is unanswered: once someone acknowledged, the others still see it but stop ringing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.alerts.state import AlertView
from shared.protocol import Level, ResponderRole

LEVELS: tuple[Level, ...] = ("manager", "security")


class LevelRoles(BaseModel):
    """For each alert level, the pager roles it applies to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    manager: tuple[ResponderRole, ...]
    security: tuple[ResponderRole, ...]

    def for_level(self, level: Level) -> tuple[ResponderRole, ...]:
        return self.manager if level == "manager" else self.security


class Routing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ring: LevelRoles = Field(
        default_factory=lambda: LevelRoles(manager=("manager",), security=("security", "manager"))
    )
    show: LevelRoles = Field(
        default_factory=lambda: LevelRoles(manager=("manager",), security=("security", "manager"))
    )

    @model_validator(mode="after")
    def _check(self) -> Routing:
        for level in LEVELS:
            ring, show = self.ring.for_level(level), self.show.for_level(level)
            if level not in ring:
                raise ValueError(
                    f"ring.{level} must include {level!r}: a {level} alert has to ring "
                    f"{level} pagers"
                )
            hidden = sorted(set(ring) - set(show))
            if hidden:
                raise ValueError(f"show.{level} must include {hidden}: they ring for it")
        return self


DEFAULT_ROUTING = Routing()


def should_show(pager_role: str, view: AlertView, routing: Routing = DEFAULT_ROUTING) -> bool:
    """True if a pager of this role lists the alert (open or in its history)."""
    return pager_role in routing.show.for_level(view.level) or pager_role in view.notified_roles


def should_ring(pager_role: str, view: AlertView, routing: Routing = DEFAULT_ROUTING) -> bool:
    """True if a pager of this role should ring now: routed to it and not yet answered."""
    if view.closed or view.status != "raised":
        return False
    return pager_role in routing.ring.for_level(view.level) or pager_role in view.notified_roles
