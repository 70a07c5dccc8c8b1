"""Wire messages and views to database rows, in one place (see docs/ARCHITECTURE.md).

The alert and responder rows are not updated by rules of their own: they are a picture of the
:class:`~shared.alerts.state.AlertView` that the screens' reducer folds from the alert's recorded
events. So the database agrees with every screen by construction (invariant 8).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from shared.alerts.state import AlertView
from shared.db.models import EventRow, IncidentRow
from shared.protocol import AnyMessage, IncidentReport, Message, Resolved

_ANY: TypeAdapter[Message] = TypeAdapter(AnyMessage)


def event_values(message: Message, recorded_at: datetime) -> dict[str, Any]:
    """The ``events`` row of one accepted message (its full payload kept as JSON)."""
    return {
        "event_id": message.event_id,
        "store": message.store,
        "device": message.device,
        "type": message.type,  # type: ignore[attr-defined]
        "alert_id": getattr(message, "alert_id", None),
        "sent_at": message.sent_at,
        "recorded_at": recorded_at,
        "drill": message.drill,
        "payload": message_payload(message),
    }


def message_payload(message: Message) -> dict[str, Any]:
    """The JSON document stored for a message (and compared when an event id comes twice)."""
    return message.model_dump(mode="json")


def message_from_payload(payload: Mapping[str, Any]) -> Message:
    """Rebuild the message an ``events`` row was recorded from."""
    return _ANY.validate_python(payload)


def message_of(row: EventRow) -> Message:
    return message_from_payload(row.payload)


def alert_values(view: AlertView) -> dict[str, Any]:
    """The ``alerts`` row for one folded alert."""
    first = view.first_responder
    closed_by: str | None = None
    close_reason: str | None = None
    close_note: str | None = None
    if view.status == "cancelled":
        closed_by, close_reason = view.kiosk, view.cancel_reason
    elif view.status == "resolved" and view.resolved_by is not None:
        closed_by, close_reason = view.resolved_by.name, "resolved"
        close_note = _resolve_note(view)
    on_scene = [entry.at for entry in view.timeline if entry.event == "on_scene"]
    return {
        "alert_id": view.alert_id,
        "store": view.store,
        "kiosk": view.kiosk,
        "counter": view.counter,
        "level": view.level,
        "silent": view.silent,
        "drill": view.drill,
        "status": view.status,
        "situation": view.context.situation,
        "step_index": view.context.step_index,
        "risk": view.context.risk,
        "raised_at": view.raised_at,
        "acknowledged_at": first.at if first else None,
        "acknowledged_by": first.name if first else None,
        "acknowledged_role": first.role if first else None,
        "acknowledged_device": first.device if first else None,
        "on_scene_at": min(on_scene, default=None),
        "closed_at": view.closed_at,
        "closed_by": closed_by,
        "close_reason": close_reason,
        "close_note": close_note,
        "escalation_steps": len(view.escalation_steps_done),
        "call_for_help": view.call_for_help,
    }


def responder_values(view: AlertView) -> list[dict[str, Any]]:
    """The ``alert_responders`` rows: everyone who answered, first responder first."""
    return [
        {
            "alert_id": view.alert_id,
            "device": person.device,
            "name": person.name,
            "role": person.role,
            "acknowledged_at": person.at,
            "eta_minutes": person.eta_minutes,
        }
        for person in view.responders
    ]


def _resolve_note(view: AlertView) -> str | None:
    for message in view.messages:
        if (
            isinstance(message, Resolved)
            and message.sent_at == view.closed_at
            and view.resolved_by is not None
            and message.device == view.resolved_by.device
        ):
            return message.note or None
    return None


def incident_row(report: IncidentReport) -> IncidentRow:
    """The ``incidents`` row of a wrap-up report (a caution always starts unapproved)."""
    return IncidentRow(**incident_values(report))


def incident_values(report: IncidentReport) -> dict[str, Any]:
    """The column values of :func:`incident_row`."""
    caution = report.caution
    return {
        "event_id": report.event_id,
        "incident_id": report.incident_id,
        "alert_id": report.alert_id,
        "store": report.store,
        "kiosk": report.device,
        "counter": report.counter,
        "situation": report.situation,
        "steps_reached": report.steps_reached,
        "near_miss": report.near_miss,
        "outcome": report.outcome,
        "violence_type": report.violence_type,
        "perpetrator": report.perpetrator,
        "alone_or_unable_to_get_help": report.alone_or_unable_to_get_help,
        "injuries": report.injuries,
        "notes": report.notes,
        "follow_up_needed": report.follow_up_needed,
        "follow_up_due": report.follow_up_due,
        "caution_description": caution.description if caution else None,
        "caution_reason": caution.reason if caution else None,
        "caution_approved": False,
        "completed_by_role": report.completed_by_role,
        "started_at": report.started_at,
        "reported_at": report.sent_at,
        "drill": report.drill,
    }
