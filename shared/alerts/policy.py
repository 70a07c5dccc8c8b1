"""Escalation ladders as data, and the pure function that says which rungs are due.

Ladders live in ``ladders.toml`` (defaults) with an optional per-store override file, and are
validated by pydantic so a broken file fails loudly at start-up with the file, field and
reason. :func:`decide` is pure (view + clock + presence + policy in, decision out): the kiosk
and the hub both run it on their own timers, and because every rung becomes an
``AlertEscalated`` with an event id derived from (alert id, step id), the recorder stores
each rung once however many deciders fired it.

Presence rules, applied on top of the timed ladder:
- Nobody of the requested role on duty: warn ``no_<role>_on_duty`` and reroute to the other
  role at once (step ``reroute_<role>``).
- A rung only waits if someone paged so far has a pager online. Otherwise waiting is pointless
  (an offline pager cannot acknowledge), so the rung fires together with the previous one: the
  ladder collapses until a rung reaches someone online, or reaches its final call-for-help rung.
  With nobody on duty at all, that is call-for-help at once.
- Unknown presence (nothing received yet): the plain timed ladder, with a warning.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.alerts.presence import PresenceSummary
from shared.alerts.routing import Routing
from shared.alerts.state import AlertView
from shared.protocol import ID_PATTERN, AlertEscalated, Level, ResponderRole

DEFAULT_LADDERS = Path(__file__).with_name("ladders.toml")
REROUTE_STEP = "reroute_{role}"
RESERVED_STEP_IDS = frozenset({"reroute_manager", "reroute_security"})
ROLES: tuple[ResponderRole, ...] = ("manager", "security")


class PolicyError(ValueError):
    """A ladder file that cannot be used, naming the file, the field and the reason."""


class StepSpec(BaseModel):
    """One rung: what happens ``after_seconds`` without an acknowledgement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    after_seconds: float = Field(gt=0, le=3600)
    notify: tuple[ResponderRole, ...] = ()
    extra_responders: int = Field(default=0, ge=0, le=50)
    call_for_help: bool = False
    reason: str = Field(default="", max_length=200)


class Ladder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[StepSpec, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _check(self) -> Ladder:
        for before, after in pairwise(self.steps):
            if after.after_seconds <= before.after_seconds:
                raise ValueError(
                    f"step {after.id!r} at {after.after_seconds:g} s is not after step "
                    f"{before.id!r} at {before.after_seconds:g} s; steps must be strictly "
                    "increasing in time"
                )
        if not self.steps[-1].call_for_help:
            raise ValueError(
                f"the last step {self.steps[-1].id!r} must set call_for_help = true, so an "
                "unanswered alert always ends with the kiosk telling staff to call for help"
            )
        return self


class Ladders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    manager: Ladder
    security: Ladder


class Policy(BaseModel):
    """Everything a store configures about escalation and paging."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ladders: Ladders
    routing: Routing = Field(default_factory=Routing)

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for level in ROLES:
            for step in self.ladder(level).steps:
                if step.id in RESERVED_STEP_IDS:
                    raise ValueError(f"step id {step.id!r} is reserved for presence rerouting")
                if step.id in seen:
                    raise ValueError(
                        f"step id {step.id!r} is used twice; ids must be unique across both "
                        "ladders (each id is recorded once per alert)"
                    )
                seen.add(step.id)
        return self

    def ladder(self, level: Level) -> Ladder:
        return self.ladders.manager if level == "manager" else self.ladders.security


# Loading -------------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML: {error}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (including lists of steps) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(data: dict[str, Any], where: str) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors()[:5]:
            field = ".".join(str(part) for part in item["loc"]) or "(top level)"
            problems.append(f"{field}: {item['msg'].removeprefix('Value error, ')}")
        more = f" (+{error.error_count() - 5} more)" if error.error_count() > 5 else ""
        raise PolicyError(f"{where}: " + "; ".join(problems) + more) from None


def load_policy(override: Path | None = None, *, defaults: Path = DEFAULT_LADDERS) -> Policy:
    """Load the default ladders, merged with ``override`` if given; raise PolicyError if bad."""
    base = _read(defaults)
    policy = _validate(base, str(defaults))
    if override is None:
        return policy
    return _validate(_merge(base, _read(override)), f"{override} (merged over {defaults.name})")


def load_store_policy(store: str, overrides_dir: Path | None = None) -> Policy:
    """The policy for one store: ``<overrides_dir>/<store>.toml`` over the defaults, if present."""
    path = overrides_dir / f"{store}.toml" if overrides_dir is not None else None
    if path is None or not path.exists():
        return default_policy()
    return load_policy(path)


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy()


# Deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepDue:
    """A rung to publish now (as an AlertEscalated), or the next one to wait for."""

    step_id: str
    due_at: datetime
    notify_roles: tuple[ResponderRole, ...] = ()
    extra_responders: int = 0
    call_for_help: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    due: tuple[StepDue, ...] = ()
    """Every step whose time has passed and that is not yet done, in ladder order, so a timer
    that fired late catches up in one go."""
    next_check_at: datetime | None = None
    warnings: tuple[str, ...] = ()
    reroute_to: ResponderRole | None = None


def decide(view: AlertView, now: datetime, presence: PresenceSummary, policy: Policy) -> Decision:
    """Which rungs of ``view``'s ladder are due at ``now``, and when to look again."""
    if now.tzinfo is None:
        raise ValueError("decide() needs a timezone-aware 'now' (UTC)")
    if view.closed or view.status != "raised":
        return Decision()  # answered, resolved or cancelled: escalation stops
    role: ResponderRole = view.level
    other: ResponderRole = "security" if role == "manager" else "manager"
    start = view.awaiting_since
    planned: list[StepDue] = []
    warnings: list[str] = []
    reroute_to: ResponderRole | None = None
    paged: set[ResponderRole] = {role}  # the raise itself paged the level's role

    if not presence.known:
        warnings.append("presence_unknown")
    elif presence.of(role).on_duty == 0 and presence.of(other).on_duty == 0:
        warnings.append("nobody_on_duty")
    elif presence.of(role).on_duty == 0:
        warnings.append(f"no_{role}_on_duty")
        reroute_to = other
        paged.add(other)
        reason = f"No {role} on duty: paging {other} instead"
        planned.append(StepDue(REROUTE_STEP.format(role=other), start, (other,), 0, False, reason))
    elif presence.of(role).online == 0:
        warnings.append(f"no_{role}_online")
    if presence.known and presence.of(role).on_duty + presence.of(other).on_duty > 0:
        if presence.of(role).online + presence.of(other).online == 0:
            warnings.append("nobody_online")

    previous = start
    for spec in policy.ladder(role).steps:
        reachable = not presence.known or any(presence.of(r).online > 0 for r in paged)
        at = start + timedelta(seconds=spec.after_seconds) if reachable else previous
        planned.append(
            StepDue(
                spec.id, at, spec.notify, spec.extra_responders, spec.call_for_help, spec.reason
            )
        )
        paged.update(spec.notify)
        previous = at

    done = set(view.escalation_steps_done)
    todo = [step for step in planned if step.step_id not in done]
    return Decision(
        due=tuple(step for step in todo if step.due_at <= now),
        next_check_at=min((step.due_at for step in todo if step.due_at > now), default=None),
        warnings=tuple(warnings),
        reroute_to=reroute_to,
    )


def escalation_messages(
    decision: Decision, view: AlertView, store: str, device: str, *, now: datetime | None = None
) -> list[AlertEscalated]:
    """One AlertEscalated per due step, with the deterministic per-rung event id."""
    stamp: dict[str, Any] = {"sent_at": now} if now is not None else {}
    return [
        AlertEscalated.for_step(
            view.alert_id,
            step.step_id,
            store=store,
            device=device,
            notify_roles=list(step.notify_roles),
            extra_responders=step.extra_responders,
            call_for_help=step.call_for_help,
            reason=step.reason,
            drill=view.drill,
            **stamp,
        )
        for step in decision.due
    ]
