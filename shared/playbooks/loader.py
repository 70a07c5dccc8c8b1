"""Load, validate and cache the playbooks, cards and triage questions.

Every public function takes an optional ``content_dir`` (defaults to ``shared/content``) so
tests can point it at a copy. Loads are cached (the kiosk calls these at runtime); call
``clear_cache()`` after editing content in a running process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from shared.i18n import CONTENT_DIR, LANGUAGES, ContentError, load_ui_strings, read_toml
from shared.playbooks.files import (
    LanguageFile,
    StructureFile,
    check_same_ids,
    check_structure,
    render_loc,
    validate_file,
)
from shared.playbooks.models import (
    Card,
    EscalationRule,
    Playbook,
    RouteRole,
    Step,
    TriageQuestion,
)

STRUCTURE_FILE = "structure.toml"
PLAYBOOKS_FILE = "playbooks.toml"


@dataclass(frozen=True)
class _Bundle:
    """Everything one language's playbooks.toml yields, assembled with the structure."""

    playbooks: tuple[Playbook, ...]
    cards: Mapping[str, Card]
    triage: tuple[TriageQuestion, ...]
    avoid: Mapping[str, str]


def _dir(content_dir: Path | str | None) -> Path:
    return Path(content_dir).resolve() if content_dir else CONTENT_DIR


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")


@lru_cache(maxsize=8)
def _structure(content_dir: Path) -> StructureFile:
    path = content_dir / STRUCTURE_FILE
    spec = validate_file(StructureFile, read_toml(path), path)
    check_structure(spec, path)
    return spec


@lru_cache(maxsize=32)
def _bundle(lang: str, content_dir: Path) -> _Bundle:
    spec = _structure(content_dir)
    path = content_dir / lang / PLAYBOOKS_FILE
    raw = read_toml(path)
    texts = validate_file(LanguageFile, raw, path)

    check_same_ids(path, "avoid", spec.avoid.ids, texts.avoid)
    check_same_ids(path, "situations", [s.id for s in spec.situations], texts.situations)
    check_same_ids(path, "cards", [c.id for c in spec.cards], texts.cards)
    check_same_ids(
        path, "triage.questions", [q.id for q in spec.triage.questions], texts.triage.questions
    )

    playbooks = []
    for situation in spec.situations:
        where = f"situations.{situation.id}"
        text = texts.situations[situation.id]
        check_same_ids(path, f"{where}.steps", [s.id for s in situation.steps], text.steps)
        needs_trigger = situation.escalation.when == "on_trigger"
        if needs_trigger and text.trigger is None:
            raise ContentError(path, f"{where}.trigger", "missing (escalation is on_trigger)")
        if not needs_trigger and text.trigger is not None:
            raise ContentError(path, f"{where}.trigger", "not used: escalation is not on_trigger")
        steps = []
        for step_spec in situation.steps:
            step_text = text.steps[step_spec.id]
            if len(step_text.say) != step_spec.say:
                raise ContentError(
                    path,
                    f"{where}.steps.{step_spec.id}.say",
                    f"structure.toml declares {step_spec.say} phrase(s), "
                    f"found {len(step_text.say)}",
                )
            steps.append(
                Step(
                    id=step_spec.id,
                    text=step_text.text,
                    say=list(step_text.say),
                    avoid=[texts.avoid[a] for a in step_spec.avoid],
                    calls=step_spec.call,
                )
            )
        rule = situation.escalation
        limit = rule.limit_minutes or spec.defaults.limit_minutes
        data = {
            "id": situation.id,
            "title": text.title,
            "when_to_use": text.when_to_use,
            "risk": situation.risk,
            "steps": steps,
            "escalation": EscalationRule(
                role=rule.role,
                when=rule.when,
                trigger=text.trigger,
                limit_minutes=limit if rule.when == "on_limit" else None,
            ),
        }
        try:
            playbooks.append(Playbook.model_validate(data))
        except ValidationError as error:
            first = error.errors()[0]
            raise ContentError(
                path, f"{where}.{render_loc(first['loc'], data)}", first["msg"]
            ) from None

    cards = {
        card.id: Card(
            id=card.id,
            title=texts.cards[card.id].title,
            lines=_card_lines(path, card.id, card.lines, texts.cards[card.id].lines),
            calls=card.calls,
        )
        for card in spec.cards
    }
    triage = tuple(
        TriageQuestion(
            id=q.id,
            text=texts.triage.questions[q.id],
            route_on_yes=q.route_on_yes,
            opens=q.opens,
        )
        for q in spec.triage.questions
    )
    return _Bundle(tuple(playbooks), cards, triage, dict(texts.avoid))


def _card_lines(
    path: Path, card_id: str, declared: list[str], found: Mapping[str, str]
) -> list[str]:
    check_same_ids(path, f"cards.{card_id}.lines", declared, found)
    return [found[line_id] for line_id in declared]


# ---------------------------------------------------------------------- public API


def load_playbooks(lang: str = "en", content_dir: Path | str | None = None) -> list[Playbook]:
    """All situations in home-screen order, in ``lang``; raises ContentError if invalid."""
    _check_lang(lang)
    return list(_bundle(lang, _dir(content_dir)).playbooks)


def get_playbook(
    situation_id: str, lang: str = "en", content_dir: Path | str | None = None
) -> Playbook:
    """One situation's playbook; KeyError naming the valid ids if unknown."""
    for playbook in load_playbooks(lang, content_dir):
        if playbook.id == situation_id:
            return playbook
    raise KeyError(
        f"unknown situation {situation_id!r}; known: {', '.join(situation_ids(content_dir))}"
    )


def load_card(card_id: str, lang: str = "en", content_dir: Path | str | None = None) -> Card:
    """A reference card (general_flow, wait_manager, wait_security, self_care, aftercare)."""
    _check_lang(lang)
    cards = _bundle(lang, _dir(content_dir)).cards
    if card_id not in cards:
        raise KeyError(f"unknown card {card_id!r}; known: {', '.join(cards)}")
    return cards[card_id]


def load_triage(lang: str = "en", content_dir: Path | str | None = None) -> list[TriageQuestion]:
    """The quick-triage yes/no questions, in order."""
    _check_lang(lang)
    return list(_bundle(lang, _dir(content_dir)).triage)


def load_avoid_phrases(lang: str = "en", content_dir: Path | str | None = None) -> dict[str, str]:
    """Every phrase to avoid in ``lang``, keyed by its stable id from structure.toml."""
    _check_lang(lang)
    return dict(_bundle(lang, _dir(content_dir)).avoid)


def avoid_classics(content_dir: Path | str | None = None) -> tuple[str, ...]:
    """Ids of the phrases every language must warn against ("calm down", ...)."""
    return tuple(_structure(_dir(content_dir)).avoid.classics)


def situation_ids(content_dir: Path | str | None = None) -> tuple[str, ...]:
    """Situation ids in home-screen order."""
    return tuple(s.id for s in _structure(_dir(content_dir)).situations)


def card_ids(content_dir: Path | str | None = None) -> tuple[str, ...]:
    """Card ids in the order structure.toml lists them."""
    return tuple(c.id for c in _structure(_dir(content_dir)).cards)


def route_triage(
    answers: Mapping[str, bool],
    situation: str | None = None,
    *,
    content_dir: Path | str | None = None,
) -> RouteRole | None:
    """Who to call given the triage answers (and optionally the chosen situation).

    ``answers`` maps question ids (``weapon_or_robbery``, ``physical``, ...) and
    optionally situation ids (``wants_senior``) to yes/no. The rules come from
    structure.toml; if several routes apply, the first in ``route_priority`` wins
    (security before manager). ``None`` means no call is needed. Unknown keys raise
    ``ValueError`` so a typo never silently means "no help needed".
    """
    triage = _structure(_dir(content_dir)).triage
    questions = {q.id: q.route_on_yes for q in triage.questions}
    known_situations = set(situation_ids(content_dir))
    yes = {key for key, value in answers.items() if value}
    for key in answers:
        if key not in questions and key not in known_situations:
            raise ValueError(
                f"unknown triage answer {key!r}; expected one of {sorted(questions)} "
                f"or a situation id"
            )
    if situation is not None:
        if situation not in known_situations:
            raise ValueError(f"unknown situation {situation!r}")
        yes.add(situation)
    routes = {questions[k] for k in yes if k in questions}
    routes |= {triage.situation_routes[k] for k in yes if k in triage.situation_routes}
    return next((role for role in triage.route_priority if role in routes), None)


def validate_all(content_dir: Path | str | None = None) -> None:
    """Load structure.toml and every language's files; raise the first ContentError."""
    for lang in LANGUAGES:
        load_playbooks(lang, content_dir)
        load_ui_strings(lang, content_dir)


def clear_cache() -> None:
    """Forget cached content (tests; content edited while the process runs)."""
    _structure.cache_clear()
    _bundle.cache_clear()
