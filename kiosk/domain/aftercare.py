"""When the self-care screen adds the aftercare card, and what it then shows (pure Python).

After a security alert, a "yes" in the safety check, or a wrap-up that records physical
contact, a weapon or an injury, staff are offered more than a breather: a check for
injuries, a debrief with the manager, where to get support, and what a police statement
means. Those lines come first (most important first); the usual self-care lines follow.
"""

from __future__ import annotations

from collections.abc import Sequence

SERIOUS_VIOLENCE: frozenset[str] = frozenset({"physical", "weapon"})
"""Wrap-up violence types that mean someone was touched, attacked or threatened with a weapon."""


def needs_aftercare(
    *,
    alert_level: str | None,
    triage_route: str | None,
    violence_type: str | None,
    injuries: bool,
) -> bool:
    """True after a security alert, a security route in triage, contact, a weapon or an injury."""
    return (
        alert_level == "security"
        or triage_route == "security"
        or (violence_type or "") in SERIOUS_VIOLENCE
        or injuries
    )


def selfcare_lines(
    self_care: Sequence[str], aftercare: Sequence[str], *, serious: bool
) -> list[str]:
    """The self-care screen's lines: the aftercare card first when the incident was serious."""
    return [*aftercare, *self_care] if serious else list(self_care)
