"""Shapes of the content files on disk, and their cross-checks.

``structure.toml`` holds everything language-independent; ``<lang>/playbooks.toml`` holds
only texts keyed by the structure's ids. Every problem becomes a ``ContentError`` naming
the file, the dotted field path and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.i18n import ContentError
from shared.playbooks.models import (
    CARD_IDS,
    MAX_STEPS,
    Identifier,
    Risk,
    Role,
    RouteRole,
    Text,
    When,
)

M = TypeVar("M", bound=BaseModel)


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------ structure.toml


class StepSpec(_Raw):
    id: Identifier
    say: int = Field(default=0, ge=0, le=3)
    avoid: list[Identifier] = Field(default_factory=list)
    call: bool = False


class EscalationSpec(_Raw):
    role: Role
    when: When | None = None
    limit_minutes: int | None = Field(default=None, ge=1, le=120)


class SituationSpec(_Raw):
    id: Identifier
    risk: Risk
    escalation: EscalationSpec
    steps: list[StepSpec] = Field(min_length=4, max_length=MAX_STEPS)


class CardSpec(_Raw):
    id: Identifier
    lines: list[Identifier] = Field(min_length=1)
    calls: bool = False


class TriageQuestionSpec(_Raw):
    id: Identifier
    route_on_yes: RouteRole
    opens: Identifier | None = None


class TriageSpec(_Raw):
    route_priority: list[RouteRole] = Field(min_length=1)
    questions: list[TriageQuestionSpec] = Field(min_length=1, max_length=5)
    situation_routes: dict[Identifier, RouteRole] = Field(default_factory=dict)


class AvoidSpec(_Raw):
    ids: list[Identifier] = Field(min_length=1)
    classics: list[Identifier] = Field(default_factory=list)


class Defaults(_Raw):
    limit_minutes: int = Field(ge=1, le=120)


class StructureFile(_Raw):
    schema_version: Literal[1]
    defaults: Defaults
    avoid: AvoidSpec
    situations: list[SituationSpec] = Field(min_length=1)
    cards: list[CardSpec]
    triage: TriageSpec


# ------------------------------------------------------------ <lang>/playbooks.toml


class StepText(_Raw):
    text: Text
    say: list[Text] = Field(default_factory=list)


class SituationText(_Raw):
    title: Text
    when_to_use: Text
    trigger: Text | None = None
    steps: dict[str, StepText]


class CardText(_Raw):
    title: Text
    lines: dict[str, Text]


class TriageText(_Raw):
    questions: dict[str, Text]


class LanguageFile(_Raw):
    avoid: dict[str, Text]
    situations: dict[str, SituationText]
    cards: dict[str, CardText]
    triage: TriageText


# ------------------------------------------------------------------------- helpers


def render_loc(loc: Sequence[int | str], data: Any) -> str:
    """A pydantic error location as a dotted path; list items are named by their id."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("id") if isinstance(item, Mapping) else None
            out += f"[{label}]" if isinstance(label, str) else f"[{part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def validate_file(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Validate raw TOML data against a file model, or raise one ContentError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        first = errors[0]
        reason = first["msg"]
        if first["type"] == "extra_forbidden":
            reason = "unknown field (not allowed here)"
        more = len(errors) - 1
        if more:
            reason += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
        raise ContentError(path, render_loc(first["loc"], data), reason) from None


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in ids if i in seen or seen.add(i)})


def check_structure(spec: StructureFile, path: Path) -> None:
    """Cross-field rules of structure.toml that pydantic alone does not express."""
    avoid_ids = set(spec.avoid.ids)
    if dup := _duplicates(spec.avoid.ids):
        raise ContentError(path, "avoid.ids", f"duplicate ids: {dup}")
    for i, classic in enumerate(spec.avoid.classics):
        if classic not in avoid_ids:
            raise ContentError(path, f"avoid.classics[{i}]", f"{classic!r} is not in avoid.ids")
    if dup := _duplicates(s.id for s in spec.situations):
        raise ContentError(path, "situations", f"duplicate situation ids: {dup}")
    used_avoid: set[str] = set()
    for situation in spec.situations:
        where = f"situations[{situation.id}]"
        if dup := _duplicates(step.id for step in situation.steps):
            raise ContentError(path, f"{where}.steps", f"duplicate step ids: {dup}")
        _check_escalation(situation.escalation, path, f"{where}.escalation")
        for step in situation.steps:
            for avoid_id in step.avoid:
                if avoid_id not in avoid_ids:
                    raise ContentError(
                        path,
                        f"{where}.steps[{step.id}].avoid",
                        f"unknown avoid id {avoid_id!r}; add it to avoid.ids first",
                    )
                used_avoid.add(avoid_id)
    if unused := sorted(avoid_ids - used_avoid):
        raise ContentError(path, "avoid.ids", f"ids used by no step: {unused}")
    card_ids = [card.id for card in spec.cards]
    if sorted(card_ids) != sorted(CARD_IDS):
        raise ContentError(path, "cards", f"expected exactly the cards {list(CARD_IDS)}")
    for card in spec.cards:
        if dup := _duplicates(card.lines):
            raise ContentError(path, f"cards[{card.id}].lines", f"duplicate line ids: {dup}")
    _check_triage(spec, path)


def _check_escalation(rule: EscalationSpec, path: Path, where: str) -> None:
    if rule.role == "none":
        if rule.when or rule.limit_minutes:
            raise ContentError(path, where, "role 'none' takes no 'when' or 'limit_minutes'")
        return
    if rule.when is None:
        raise ContentError(path, f"{where}.when", f"role {rule.role!r} needs 'when'")
    if rule.limit_minutes is not None and rule.when != "on_limit":
        raise ContentError(path, f"{where}.limit_minutes", "only used when 'when' is 'on_limit'")


def _check_triage(spec: StructureFile, path: Path) -> None:
    triage = spec.triage
    if dup := _duplicates(q.id for q in triage.questions):
        raise ContentError(path, "triage.questions", f"duplicate question ids: {dup}")
    if dup := _duplicates(triage.route_priority):
        raise ContentError(path, "triage.route_priority", f"duplicate roles: {dup}")
    situation_ids = {s.id for s in spec.situations}
    for situation_id in triage.situation_routes:
        if situation_id not in situation_ids:
            raise ContentError(
                path, f"triage.situation_routes.{situation_id}", "not a situation id"
            )
    for question in triage.questions:
        if question.opens is not None and question.opens not in situation_ids:
            raise ContentError(
                path, f"triage.questions[{question.id}].opens", "not a situation id"
            )
    routed = {q.route_on_yes for q in triage.questions} | set(triage.situation_routes.values())
    if missing := sorted(routed - set(triage.route_priority)):
        raise ContentError(path, "triage.route_priority", f"roles missing: {missing}")


def check_same_ids(path: Path, field: str, declared: Sequence[str], found: Iterable[str]) -> None:
    """A language file must give texts for exactly the ids the structure declares."""
    found_set = set(found)
    for missing in declared:
        if missing not in found_set:
            raise ContentError(
                path, f"{field}.{missing}", "missing (structure.toml declares this id)"
            )
    declared_set = set(declared)
    for extra in sorted(found_set - declared_set):
        raise ContentError(path, f"{field}.{extra}", "unknown id (not in structure.toml)")
