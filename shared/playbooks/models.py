"""Typed playbook data: what the kiosk shows, validated (pydantic v2, ``extra="forbid"``).

These are the public, assembled models (structure + one language's texts). The shapes of the
raw files on disk live in ``shared.playbooks.files``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]

Risk = Literal["low", "medium", "high"]
Role = Literal["manager", "security", "none"]
When = Literal["immediately", "on_trigger", "on_limit"]
RouteRole = Literal["security", "manager"]

CARD_IDS: tuple[str, ...] = (
    "general_flow",
    "wait_manager",
    "wait_security",
    "self_care",
    "aftercare",
)
MAX_STEPS = 10
"""A situation has 4 to MAX_STEPS steps (most have 6 to 9)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """One instruction on the kiosk, with optional phrases to say and to avoid."""

    id: Identifier
    text: Text
    say: list[Text] = Field(default_factory=list)
    avoid: list[Text] = Field(default_factory=list)
    calls: bool = False
    """The step tells staff to phone the emergency number (the kiosk shows it large)."""


class EscalationRule(_Model):
    """Who to call for a situation, and when.

    ``immediately``: at once. ``on_trigger``: when ``trigger`` (a short text) happens.
    ``on_limit``: when the staff member's own limit of time (``limit_minutes``) or of
    hostility is passed. ``role="none"``: no routine call (the buttons stay available).
    """

    role: Role
    when: When | None = None
    trigger: Text | None = None
    limit_minutes: int | None = Field(default=None, ge=1, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> EscalationRule:
        if self.role == "none":
            if self.when or self.trigger or self.limit_minutes:
                raise ValueError("role 'none' takes no when, trigger or limit_minutes")
            return self
        if self.when is None:
            raise ValueError(f"role {self.role!r} needs 'when'")
        if (self.when == "on_trigger") != (self.trigger is not None):
            raise ValueError("a trigger text is needed exactly when 'when' is 'on_trigger'")
        if (self.when == "on_limit") != (self.limit_minutes is not None):
            raise ValueError("limit_minutes is needed exactly when 'when' is 'on_limit'")
        return self


class Playbook(_Model):
    """A situation's guided steps in one language."""

    id: Identifier
    title: Text
    when_to_use: Text
    risk: Risk
    steps: list[Step] = Field(min_length=4, max_length=MAX_STEPS)
    escalation: EscalationRule

    @model_validator(mode="after")
    def _unique_step_ids(self) -> Playbook:
        ids = [step.id for step in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate step ids in {self.id!r}: {ids}")
        return self


class Card(_Model):
    """A short reference card: the general flow, waiting for help, or self-care."""

    id: Identifier
    title: Text
    lines: list[Text] = Field(min_length=1)
    calls: bool = False
    """A line tells staff to phone the emergency number (the kiosk shows it large)."""


class TriageQuestion(_Model):
    """A yes/no safety question; a yes routes the alert to ``route_on_yes``."""

    id: Identifier
    text: Text
    route_on_yes: RouteRole
    opens: Identifier | None = None
    """The situation a yes opens at once (ending the safety check), if any."""
