"""The wrap-up form after an incident or a near miss, and the IncidentReport it becomes.

The report is built to fill a violent-incident log of the kind California's SB 553 asks for
(type of violence, who it was, where and when, circumstances such as working alone or being
unable to get help, consequences such as injuries, who completed it) without personal identifying
information: free text is checked for e-mail addresses and phone numbers, and a customer
caution holds only a short description and reason, and needs a manager's approval before
anyone else sees it (the hub keeps it pending).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

from pydantic import ValidationError

from shared.protocol import CustomerCaution, IncidentReport, Outcome, Perpetrator, ViolenceType

OUTCOMES: tuple[str, ...] = get_args(Outcome)
VIOLENCE_TYPES: tuple[str, ...] = get_args(ViolenceType)
PERPETRATORS: tuple[str, ...] = get_args(Perpetrator)
FollowUpIn = Literal["today", "tomorrow", "this_week"]
FOLLOW_UP_HOURS: dict[str, int] = {"today": 4, "tomorrow": 24, "this_week": 72}

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+?\d[\s\-().]*){7,}")


class WrapUpError(ValueError):
    """The form cannot be saved yet; ``key`` is the i18n key of the message to show."""

    def __init__(self, key: str, detail: str = "") -> None:
        self.key = key
        super().__init__(detail or key)


def looks_personal(text: str) -> bool:
    """True if ``text`` seems to contain an e-mail address or a phone number."""
    return bool(_EMAIL.search(text) or _PHONE.search(text))


@dataclass
class WrapUp:
    """The form's state. The view-model edits the fields; :meth:`to_report` validates."""

    store: str
    device: str
    counter: str
    drill: bool = False
    alert_id: uuid.UUID | None = None
    situation: str | None = None
    steps_reached: int = 0
    started_at: datetime | None = None
    near_miss: bool = False
    outcome: str | None = None
    notes: str = ""
    follow_up: bool = False
    follow_up_in: FollowUpIn = "tomorrow"
    violence_type: str = "none"
    perpetrator: str = "customer"
    alone_or_unable_to_get_help: bool = False
    injuries: bool = False
    caution: bool = False
    caution_description: str = ""
    caution_reason: str = ""
    incident_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def to_report(self, now: datetime) -> IncidentReport:
        """The IncidentReport to publish, or WrapUpError naming what to fix."""
        if self.outcome not in OUTCOMES:
            raise WrapUpError("kiosk.wrapup.error_outcome")
        if self.violence_type not in VIOLENCE_TYPES:
            raise WrapUpError(
                "kiosk.wrapup.error_outcome", f"bad violence type {self.violence_type}"
            )
        texts = [self.notes]
        caution = None
        if self.caution:
            description, reason = self.caution_description.strip(), self.caution_reason.strip()
            if not description or not reason:
                raise WrapUpError("kiosk.wrapup.error_caution")
            texts += [description, reason]
            caution = CustomerCaution(description=description[:200], reason=reason[:200])
        if any(looks_personal(text) for text in texts):
            raise WrapUpError("kiosk.wrapup.error_personal")
        due = now + timedelta(hours=FOLLOW_UP_HOURS[self.follow_up_in]) if self.follow_up else None
        try:
            return IncidentReport(
                store=self.store,
                device=self.device,
                drill=self.drill,
                sent_at=now,
                incident_id=self.incident_id,
                alert_id=self.alert_id,
                counter=self.counter,
                situation=self.situation,
                steps_reached=min(self.steps_reached, 99),
                near_miss=self.near_miss,
                outcome=self.outcome,  # type: ignore[arg-type]
                violence_type=self.violence_type,  # type: ignore[arg-type]
                perpetrator=self.perpetrator,  # type: ignore[arg-type]
                alone_or_unable_to_get_help=self.alone_or_unable_to_get_help,
                injuries=self.injuries,
                notes=self.notes.strip()[:4000],
                follow_up_needed=self.follow_up,
                follow_up_due=due,
                caution=caution,
                completed_by_role="staff",
                started_at=self.started_at,
            )
        except ValidationError as error:
            raise WrapUpError("kiosk.wrapup.error_invalid", str(error)) from None
