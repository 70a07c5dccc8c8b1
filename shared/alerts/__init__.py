"""Pure-Python alert logic shared by kiosk, pager and hub: the reducer, the escalation policy,
presence tracking and pager routing. Imports no Kivy, paho or SQLAlchemy, so it is fast to test
and identical on every device."""

from shared.alerts.book import AlertBook
from shared.alerts.policy import (
    Decision,
    Ladder,
    Policy,
    PolicyError,
    StepDue,
    StepSpec,
    decide,
    default_policy,
    escalation_messages,
    load_policy,
    load_store_policy,
)
from shared.alerts.presence import PresenceBook, PresenceSummary, RoleCount
from shared.alerts.routing import Routing, should_ring, should_show
from shared.alerts.state import (
    AlertView,
    LevelChange,
    Responder,
    TimelineEntry,
    apply,
)

__all__ = [
    "AlertBook",
    "AlertView",
    "Decision",
    "Ladder",
    "LevelChange",
    "Policy",
    "PolicyError",
    "PresenceBook",
    "PresenceSummary",
    "Responder",
    "RoleCount",
    "Routing",
    "StepDue",
    "StepSpec",
    "TimelineEntry",
    "apply",
    "decide",
    "default_policy",
    "escalation_messages",
    "load_policy",
    "load_store_policy",
    "should_ring",
    "should_show",
]
