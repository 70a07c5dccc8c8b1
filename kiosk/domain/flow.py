"""The guided flow as a state machine: home → optional triage → steps → wrap-up → self-care.

Pure Python: callers pass ``now`` (timezone-aware UTC) into every time-dependent call, so
tests drive it with a fake clock. Playbooks come in as data (``shared.playbooks.Playbook``)
and only their ids, step counts, risk and escalation rule are used here; texts are the
view-model's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from kiosk.domain.journal import FlowSnapshot
from shared.protocol import AlertContext

Screen = Literal["home", "triage", "steps", "alert", "wrapup", "selfcare", "exit", "card"]
SCREENS: tuple[Screen, ...] = (
    "home",
    "triage",
    "steps",
    "alert",
    "wrapup",
    "selfcare",
    "exit",
    "card",
)
Role = Literal["manager", "security"]
DEFAULT_LIMIT_MINUTES = 10



class StepLike(Protocol):
    id: str


class RuleLike(Protocol):
    role: str
    when: str | None
    limit_minutes: int | None


class PlaybookLike(Protocol):
    """What the flow needs from a playbook (``shared.playbooks.Playbook`` satisfies it)."""

    id: str
    risk: str
    steps: Sequence[StepLike]
    escalation: RuleLike


class FlowError(ValueError):
    """An action that is not possible in the current state (a UI bug, never a user error)."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The kiosk suggests calling someone; ``reason`` says why (an i18n key suffix)."""

    role: Role
    reason: Literal["immediately", "on_trigger", "on_limit", "triage", "over_limit"]


class Flow:
    """One staff member's journey through a difficult conversation (UI thread only)."""

    def __init__(
        self,
        playbooks: Sequence[PlaybookLike],
        triage_ids: Sequence[str],
        *,
        route: object = None,
        limit_minutes: int | None = None,
        triage_opens: Mapping[str, str] | None = None,
    ) -> None:
        """``route(answers) -> role | None`` decides triage routing (shared.playbooks);
        ``triage_opens`` maps a question id to the situation a yes opens (structure.toml)."""
        self._playbooks = {p.id: p for p in playbooks}
        self.triage_ids = tuple(triage_ids)
        self.triage_opens = {
            q: s for q, s in (triage_opens or {}).items() if s in self._playbooks
        }
        self._route = route
        self.limit_override = limit_minutes
        self.screen: Screen = "home"
        self.previous: Screen = "home"
        self.situation: str | None = None
        self.step_index = 0
        self.max_step_reached = 0
        self.started_at: datetime | None = None
        self.triage_answers: dict[str, bool] = {}
        self.triage_route: Role | None = None
        self.near_miss = False

    # Navigation ------------------------------------------------------------------------

    @property
    def playbook(self) -> PlaybookLike | None:
        return self._playbooks.get(self.situation) if self.situation else None

    @property
    def step_count(self) -> int:
        return len(self.playbook.steps) if self.playbook else 0

    def go(self, screen: Screen) -> None:
        """Switch screen, remembering where we came from (the alert panel returns there)."""
        if screen not in SCREENS:
            raise FlowError(f"unknown screen {screen!r}")
        if screen != self.screen:
            self.previous = self.screen
        self.screen = screen

    def start_triage(self, now: datetime) -> None:
        """Begin the quick safety check; the flow's clock starts here."""
        self.triage_answers = {}
        self.triage_route = None
        self.started_at = self.started_at or now
        self.go("triage")

    @property
    def triage_index(self) -> int:
        return len(self.triage_answers)

    @property
    def triage_question(self) -> str | None:
        index = self.triage_index
        return self.triage_ids[index] if index < len(self.triage_ids) else None

    def answer(self, yes: bool, now: datetime) -> None:
        """Answer the current triage question; after the last one, go to the right place."""
        question = self.triage_question
        if self.screen != "triage" or question is None:
            raise FlowError("no triage question is open")
        self.triage_answers[question] = yes
        if self._route is not None:
            self.triage_route = self._route(self.triage_answers)  # type: ignore[operator]
        elif yes:
            self.triage_route = "security"
        opens = yes and question in self.triage_opens
        if self.triage_question is None or opens or (yes and self.triage_route == "security"):
            self._finish_triage(now)

    def _finish_triage(self, now: datetime) -> None:
        """Open the situation of the first "yes" that names one; else back to the tiles."""
        target = next(
            (
                self.triage_opens[q]
                for q, yes in self.triage_answers.items()
                if yes and q in self.triage_opens
            ),
            None,
        )
        if target is None:
            self.go("home")
        else:
            self.choose(target, now)

    def choose(self, situation: str, now: datetime) -> None:
        """Open a situation's playbook at its first step."""
        if situation not in self._playbooks:
            raise FlowError(f"unknown situation {situation!r}")
        self.situation = situation
        self.step_index = 0
        self.max_step_reached = 0
        self.started_at = self.started_at or now
        self.near_miss = False
        self.go("steps")

    def next(self) -> None:
        if self.step_index + 1 < self.step_count:
            self.step_index += 1
            self.max_step_reached = max(self.max_step_reached, self.step_index)

    def back(self) -> None:
        """Previous step; from the first step, back to the home screen."""
        if self.step_index > 0:
            self.step_index -= 1
        else:
            self.go("home")

    @property
    def can_next(self) -> bool:
        return self.step_index + 1 < self.step_count

    def calmed_without_help(self) -> None:
        """End the flow as a near miss: straight to the wrap-up."""
        self.near_miss = True
        self.go("wrapup")

    def reset(self) -> None:
        """Back to a fresh home screen (after the self-care card)."""
        self.situation = None
        self.step_index = self.max_step_reached = 0
        self.started_at = None
        self.triage_answers = {}
        self.triage_route = None
        self.near_miss = False
        self.go("home")

    def snapshot(self) -> FlowSnapshot:
        """What the alert journal keeps of the flow, to come back to it after a restart."""
        return FlowSnapshot(
            self.situation,
            self.step_index,
            self.max_step_reached,
            self.started_at,
            self.triage_route,
        )

    def resume(self, snapshot: FlowSnapshot) -> None:
        """Continue a journaled flow (a situation this build no longer knows is dropped)."""
        self.situation = snapshot.situation if snapshot.situation in self._playbooks else None
        last = max(self.step_count - 1, 0)
        self.step_index = min(snapshot.step_index, last) if self.situation else 0
        self.max_step_reached = min(snapshot.max_step_reached, last) if self.situation else 0
        self.started_at = snapshot.started_at
        self.triage_route = snapshot.triage_route  # type: ignore[assignment]
        self.screen = self.previous = "steps" if self.situation else "home"

    # Time and suggestions --------------------------------------------------------------

    def elapsed(self, now: datetime) -> timedelta:
        return now - self.started_at if self.started_at else timedelta(0)

    @property
    def limit_minutes(self) -> int:
        """The staff member's limit: the kiosk setting, else the playbook's, else 10 min."""
        if self.limit_override:
            return self.limit_override
        playbook = self.playbook
        if playbook is not None and playbook.escalation.limit_minutes:
            return playbook.escalation.limit_minutes
        return DEFAULT_LIMIT_MINUTES

    def over_limit(self, now: datetime) -> bool:
        return self.started_at is not None and self.elapsed(now) >= timedelta(
            minutes=self.limit_minutes
        )

    def suggestion(self, now: datetime) -> Suggestion | None:
        """Whom the kiosk suggests calling now, if anyone (never calls by itself)."""
        if self.triage_route is not None:
            return Suggestion(self.triage_route, "triage")
        playbook = self.playbook
        role: Role | None = None
        if playbook is not None and playbook.escalation.role in ("manager", "security"):
            role = playbook.escalation.role  # type: ignore[assignment]
            if playbook.escalation.when == "immediately":
                return Suggestion(role, "immediately")
        if self.over_limit(now):
            return Suggestion(role or "manager", "over_limit")
        return None

    def trigger_role(self, now: datetime) -> Role | None:
        """Whom to call *if* the situation's trigger happens (``on_trigger`` playbooks).

        The step screen shows the trigger quietly so the staff member knows when to press the
        button; it steps aside while a stronger suggestion (triage, over the limit) is shown.
        """
        playbook = self.playbook
        if playbook is None or playbook.escalation.when != "on_trigger":
            return None
        if playbook.escalation.role not in ("manager", "security"):
            return None
        if self.suggestion(now) is not None:
            return None
        return playbook.escalation.role  # type: ignore[return-value]

    def context(self) -> AlertContext:
        """What an alert raised now tells the responder about the flow so far."""
        playbook = self.playbook
        return AlertContext(
            situation=playbook.id if playbook else None,
            # the furthest step reached: what has been tried, even if they went back to reread
            step_index=self.max_step_reached if playbook else None,
            step_count=self.step_count if playbook else None,
            risk=playbook.risk if playbook else ("high" if self.triage_route else None),  # type: ignore[arg-type]
            flow_started_at=self.started_at,
        )
