"""Plain-text rendering of playbooks and cards, localised (terminal, logs, print-outs)."""

from __future__ import annotations

import unicodedata

from shared.i18n import tr
from shared.playbooks.loader import card_ids, load_card, load_playbooks
from shared.playbooks.models import Card, EscalationRule, Playbook


def display_width(text: str) -> int:
    """Terminal columns a string takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _labelled(label: str, value: str, width: int = 0) -> str:
    """``label value``, padded to ``width`` columns; no extra space after a full-width colon."""
    gap = "" if label.endswith("：") else " "
    padding = " " * max(width - display_width(label) - len(gap), 0)
    return f"{label}{gap}{padding}{value}"


def quote(text: str, lang: str) -> str:
    """A phrase in the language's own quotation marks (“…” / 「…」 / ”…”)."""
    return tr("playbook.quote", lang, text=text)


def describe_escalation(rule: EscalationRule, lang: str) -> str:
    """One sentence saying whom to call and when, e.g. "Call security now."."""
    if rule.role == "none" or rule.when is None:
        return tr("escalation.none", lang)
    return tr(
        f"escalation.{rule.role}.{rule.when}",
        lang,
        trigger=rule.trigger or "",
        minutes=rule.limit_minutes or "",
    )


def render_playbook(playbook: Playbook, lang: str) -> str:
    """Title, when to use, risk, escalation rule, then numbered steps with Say/Avoid lines."""
    say, avoid = tr("playbook.say", lang), tr("playbook.avoid", lang)
    width = max(display_width(say), display_width(avoid)) + 1
    lines = [
        playbook.title.upper(),
        _labelled(tr("playbook.when", lang), playbook.when_to_use),
        _labelled(tr("playbook.risk", lang), tr(f"risk.{playbook.risk}", lang)),
        _labelled(tr("playbook.escalation", lang), describe_escalation(playbook.escalation, lang)),
        "",
    ]
    for number, step in enumerate(playbook.steps, start=1):
        lines.append(f"{number:>2}. {step.text}")
        if step.say:
            phrases = "  ".join(quote(p, lang) for p in step.say)
            lines.append("    " + _labelled(say, phrases, width))
        if step.avoid:
            phrases = "  ".join(quote(p, lang) for p in step.avoid)
            lines.append("    " + _labelled(avoid, phrases, width))
    return "\n".join(lines) + "\n"


def render_card(card: Card, lang: str) -> str:
    """A card's title and its lines as a bulleted list."""
    return "\n".join([card.title.upper(), "", *(f"  • {line}" for line in card.lines)]) + "\n"


def render_list(lang: str) -> str:
    """Every situation (id, title, risk, escalation) and every card id, one per line."""
    playbooks = load_playbooks(lang)
    id_width = max(len(i) for i in (*(p.id for p in playbooks), *card_ids()))
    lines = []
    for playbook in playbooks:
        risk = tr(f"risk.{playbook.risk}", lang)
        lines.append(f"{playbook.id:<{id_width}}  {playbook.title}  [{risk}]")
        lines.append(f"{'':<{id_width}}  → {describe_escalation(playbook.escalation, lang)}")
    lines.append("")
    lines.extend(f"{c:<{id_width}}  {load_card(c, lang).title}" for c in card_ids())
    return "\n".join(lines) + "\n"
