"""De-escalation playbooks: validated, multilingual data for the kiosk and the CLI.

Texts live in ``shared/content``; see docs/PLAYBOOKS.md for the format.
"""

from shared.i18n import ContentError
from shared.playbooks.loader import (
    avoid_classics,
    card_ids,
    clear_cache,
    get_playbook,
    load_avoid_phrases,
    load_card,
    load_playbooks,
    load_triage,
    route_triage,
    situation_ids,
    validate_all,
)
from shared.playbooks.models import Card, EscalationRule, Playbook, Step, TriageQuestion

__all__ = [
    "Card",
    "ContentError",
    "EscalationRule",
    "Playbook",
    "Step",
    "TriageQuestion",
    "avoid_classics",
    "card_ids",
    "clear_cache",
    "get_playbook",
    "load_avoid_phrases",
    "load_card",
    "load_playbooks",
    "load_triage",
    "route_triage",
    "situation_ids",
    "validate_all",
]
