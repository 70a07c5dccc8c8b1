"""The alert status panel as data: what the kiosk may honestly claim about its alert.

Each line is driven by a fact: the courier's delivery status for the latest raise (the
broker's PUBACK), or the alert view folded from the responders' own messages. Nothing is
inferred: "sent" needs a PUBACK, "on the way" needs an acknowledgement. Undelivered for longer
than a short grace (or while the link is down) is shown in red with what to do instead, and
so is "nobody acknowledged" after the ladder's last rung.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from shared.alerts import AlertView
from shared.ui.line_breaking import keep_together

LineState = Literal["done", "waiting", "alarm", "info"]
SilentProgress = Literal["idle", "checking", "coming", "not_in_stock"]
"""What the disguised control says: idle ("Check stock"), sent and not yet answered
("Checking…"), answered ("On its way"), or undelivered / nobody answered ("Not in stock":
help is *not* coming, act yourself). Innocuous words for a customer, a clear code for staff."""

SENDING_GRACE = timedelta(seconds=1.5)
"""How long a queued alert may show "Sending…" while the link is up, before the panel says
NOT DELIVERED. Long enough that a normal PUBACK (milliseconds) never flashes red on the
screen, short enough that staff learn about a problem at once."""


@dataclass(frozen=True, slots=True)
class PanelLine:
    """One line: its state (icon and colour) and an i18n key with its placeholders."""

    state: LineState
    key: str
    fmt: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Panel:
    level: str
    silent: bool
    drill: bool
    elapsed_s: int
    lines: tuple[PanelLine, ...]
    alarm: bool
    """True when the panel shows a red line: staff must call for help themselves."""
    closed: bool
    advice_card: str
    undo_left_s: int
    dot: Literal["idle", "queued", "delivered", "answered", "alarm"]
    """The disguised control's sign, for a silent alert: see UI notes in kiosk/README."""
    no_answer: bool = False
    """Delivered, but nobody acknowledged by the ladder's last rung: no tick anywhere, the
    advice becomes "until help arrives", and staff are offered the other role in one tap."""
    add_role: str | None = None
    """The role one tap adds while nobody answers (security for a manager alert; a security
    alert already pages the managers)."""
    call_number: str = ""
    """The number to phone, shown large, while the panel is red (no-break spaces inside)."""

    @property
    def silent_progress(self) -> SilentProgress:
        """The disguised control's words for this (silent) alert."""
        if self.closed or not self.silent:
            return "idle"
        if self.dot == "alarm":
            return "not_in_stock"
        if self.dot == "answered":
            return "coming"
        return "checking"


def mmss(delta: timedelta | float) -> str:
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    seconds = max(seconds, 0)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def build_panel(
    view: AlertView,
    delivery: str | None,
    *,
    now: datetime,
    link_online: bool,
    emergency_number: str,
    undo_left_s: float = 0.0,
    raised_locally_at: datetime | None = None,
) -> Panel:
    """The panel for ``view`` given the delivery status of its latest raise (pure)."""
    number = keep_together(emergency_number) or "—"
    lines: list[PanelLine] = []
    since = raised_locally_at or view.awaiting_since
    delivered = delivery in ("delivered", "recorded")
    undelivered = not delivered and (
        delivery == "failed" or not link_online or now - since >= SENDING_GRACE
    )
    answered = bool(view.current_responders) or view.status in ("on_scene", "resolved")
    if view.closed:
        pass
    elif delivered:
        lines.append(PanelLine("done", "alert.sent"))
    elif undelivered and not answered:
        lines.append(PanelLine("alarm", "alert.not_delivered", {"number": number}))
    elif not answered:
        lines.append(PanelLine("waiting", "alert.sending"))

    if view.current_responders:
        first = view.current_responders[0]
        lines.append(
            PanelLine(
                "done",
                "alert.on_the_way",
                {"name": first.name, "role": first.role, "t": mmss(first.at - view.awaiting_since)},
            )
        )
        if len(view.current_responders) > 1:
            lines.append(
                PanelLine(
                    "info", "kiosk.panel.also_coming", {"n": len(view.current_responders) - 1}
                )
            )
    elif view.needs_call_for_help:
        lines.append(PanelLine("alarm", "alert.no_ack", {"number": number}))
    elif not view.closed:
        lines.append(PanelLine("waiting", "kiosk.panel.waiting_ack"))
        rerouted = [s for s in view.escalation_steps_done if s.startswith("reroute_")]
        if rerouted:  # nobody of the requested role is on duty: say so, and who comes instead
            lines.append(
                # one whole sentence per role (kiosk.reroute.<role>), never a role glued in
                PanelLine("info", f"kiosk.reroute.{rerouted[0].split('_', 1)[1]}")
            )
        if view.escalation_steps_done:
            lines.append(
                PanelLine("info", "kiosk.panel.paged_again", {"n": len(view.escalation_steps_done)})
            )

    if view.status == "on_scene":
        lines.append(PanelLine("done", "alert.on_scene"))
    elif not view.closed:
        lines.append(PanelLine("waiting", "alert.on_scene"))

    if view.status == "resolved" and view.resolved_by is not None:
        lines.append(PanelLine("done", "kiosk.panel.resolved_by", {"name": view.resolved_by.name}))
    elif view.status == "cancelled":
        lines.append(PanelLine("info", f"kiosk.panel.cancelled_{view.cancel_reason}"))

    alarm = any(line.state == "alarm" for line in lines)
    if view.closed:
        dot = "idle"
    elif alarm:
        dot = "alarm"
    elif answered:
        dot = "answered"
    elif delivered:
        dot = "delivered"
    else:
        dot = "queued"
    no_answer = view.needs_call_for_help and not view.current_responders and not view.closed
    return Panel(
        no_answer=no_answer,
        add_role="security" if no_answer and view.level == "manager" else None,
        call_number=number if alarm else "",
        level=view.level,
        silent=view.silent,
        drill=view.drill,
        elapsed_s=int((now - view.raised_at).total_seconds()),
        lines=tuple(lines),
        alarm=alarm,
        closed=view.closed,
        advice_card="wait_security" if view.level == "security" else "wait_manager",
        undo_left_s=int(undo_left_s + 0.999) if undo_left_s > 0 else 0,
        dot=dot,  # type: ignore[arg-type]
    )
