"""The recorder: every accepted event into the database exactly once, plus the alert table.

Delivery is at-least-once (QoS 1, outbox resends), so recording is idempotent on the event id:
a duplicate is recognised by the unique constraint and changes nothing. Messages may also
arrive out of order after a reconnect (an acknowledgement before its alert); such events are
kept in the events table and replayed when the alert itself arrives.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from shared.db.models import AlertRow, EventRow, IncidentRow, ResponderRow
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertEscalated,
    AlertRaised,
    IncidentReport,
    Message,
    OnScene,
    Resolved,
    decode,
)

log = logging.getLogger(__name__)

OPEN = ("raised", "acknowledged", "on_scene")


@dataclass(frozen=True)
class Recorded:
    message: Message
    new: bool  # False: a duplicate, already recorded before
    alert: AlertRow | None = None


class Recorder:
    """Writes messages through SQLAlchemy; one transaction per message."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, message: Message) -> Recorded:
        with self._sessions.begin() as session:
            if not self._insert_event(session, message):
                _log_collision(session, message)
                return Recorded(message, new=False, alert=self._alert_of(session, message))
            alert = self._apply(session, message)
        return Recorded(message, new=True, alert=alert)

    # Events -----------------------------------------------------------------------------

    def _insert_event(self, session: Session, message: Message) -> bool:
        values = {
            "event_id": message.event_id,
            "store": message.store,
            "device": message.device,
            "type": message.type,  # type: ignore[attr-defined]
            "alert_id": getattr(message, "alert_id", None),
            "sent_at": message.sent_at,
            "recorded_at": datetime.now(UTC),
            "drill": message.drill,
            "payload": message.model_dump(mode="json"),
        }
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(EventRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(EventRow.id)
        )
        # rowcount is not reliable for ON CONFLICT on every driver; RETURNING is
        return session.execute(statement).scalar() is not None

    def _alert_of(self, session: Session, message: Message) -> AlertRow | None:
        alert_id = getattr(message, "alert_id", None)
        return session.get(AlertRow, alert_id) if alert_id is not None else None

    # State changes ----------------------------------------------------------------------

    def _apply(self, session: Session, message: Message) -> AlertRow | None:
        if isinstance(message, IncidentReport):
            session.add(_incident_row(message))
            return None
        if isinstance(message, AlertRaised):
            return self._raise(session, message)
        alert_id = getattr(message, "alert_id", None)
        if alert_id is None:
            return None
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            log.info("%s for unknown alert %s kept until the alert arrives", message.type, alert_id)  # type: ignore[attr-defined]
            return None
        _update_alert(session, alert, message)
        return alert

    def _raise(self, session: Session, message: AlertRaised) -> AlertRow:
        alert = session.get(AlertRow, message.alert_id)
        if alert is not None:
            if alert.status in OPEN and message.level != alert.level:
                log.info(
                    "alert %s changed level %s -> %s", alert.alert_id, alert.level, message.level
                )
                alert.level = message.level
                alert.silent = message.silent
            return alert
        context = message.context
        alert = AlertRow(
            alert_id=message.alert_id,
            store=message.store,
            kiosk=message.device,
            counter=message.counter,
            level=message.level,
            silent=message.silent,
            drill=message.drill,
            status="raised",
            situation=context.situation,
            step_index=context.step_index,
            risk=context.risk,
            raised_at=message.sent_at,
            escalation_steps=0,
            call_for_help=False,
        )
        session.add(alert)
        session.flush()
        # replay anything about this alert that overtook it on the way here
        early = session.scalars(
            select(EventRow)
            .where(EventRow.alert_id == message.alert_id, EventRow.event_id != message.event_id)
            .order_by(EventRow.sent_at)
        ).all()
        for row in early:
            _update_alert(session, alert, decode_row(row))
        return alert


def _log_collision(session: Session, message: Message) -> None:
    """A second message under a recorded event id: a redelivery, a rung both the kiosk and the
    hub published, or someone reusing an id. The first one stays; a different one is logged."""
    row = session.scalar(select(EventRow).where(EventRow.event_id == message.event_id))
    if row is None:
        return
    same = (row.type, row.alert_id) == (message.type, getattr(message, "alert_id", None))  # type: ignore[attr-defined]
    if same and (row.device == message.device or isinstance(message, AlertEscalated)):
        return
    log.warning(
        "event id %s collision: recorded %s from %s, now %s from %s (ignored)",
        message.event_id,
        row.type,
        row.device,
        message.type,  # type: ignore[attr-defined]
        message.device,
    )


def decode_row(row: EventRow) -> Message:
    return decode(json.dumps(row.payload).encode())


def _update_alert(session: Session, alert: AlertRow, message: Message) -> None:
    if isinstance(message, AlertEscalated):
        alert.escalation_steps += 1
        alert.call_for_help = alert.call_for_help or message.call_for_help
        return
    if alert.status not in OPEN:
        log.info("%s for closed alert %s ignored", message.type, alert.alert_id)  # type: ignore[attr-defined]
        return
    if isinstance(message, AlertCancelled):
        alert.status = "cancelled"
        alert.closed_at = message.sent_at
        alert.closed_by = message.device
        alert.close_reason = message.reason
    elif isinstance(message, Acknowledged):
        _add_responder(session, alert, message)
    elif isinstance(message, OnScene):
        _add_responder(session, alert, message)
        alert.status = "on_scene"
        alert.on_scene_at = alert.on_scene_at or message.sent_at
    elif isinstance(message, Resolved):
        alert.status = "resolved"
        alert.closed_at = message.sent_at
        alert.closed_by = message.responder_name
        alert.close_reason = "resolved"
        alert.close_note = message.note or None


def _add_responder(session: Session, alert: AlertRow, message: Acknowledged | OnScene) -> None:
    if message.device == alert.kiosk:
        return  # nobody acknowledges their own alert
    exists = session.scalar(
        select(ResponderRow).where(
            ResponderRow.alert_id == alert.alert_id, ResponderRow.device == message.device
        )
    )
    if exists is None:
        session.add(
            ResponderRow(
                alert_id=alert.alert_id,
                device=message.device,
                name=message.responder_name,
                role=message.responder_role,
                acknowledged_at=message.sent_at,
                eta_minutes=getattr(message, "eta_minutes", None),
            )
        )
    elif message.sent_at < exists.acknowledged_at:
        exists.acknowledged_at = message.sent_at
    if alert.acknowledged_at is None or message.sent_at < alert.acknowledged_at:
        # the earliest answer is the first responder, in whatever order they arrive: the same
        # rule the devices' alert view uses, so the record and the screens agree
        alert.acknowledged_at = message.sent_at
        alert.acknowledged_by = message.responder_name
        alert.acknowledged_role = message.responder_role
        alert.acknowledged_device = message.device
    if alert.status == "raised":
        alert.status = "acknowledged"


def _incident_row(report: IncidentReport) -> IncidentRow:
    caution = report.caution
    return IncidentRow(
        event_id=report.event_id,
        incident_id=report.incident_id,
        alert_id=report.alert_id,
        store=report.store,
        kiosk=report.device,
        counter=report.counter,
        situation=report.situation,
        steps_reached=report.steps_reached,
        near_miss=report.near_miss,
        outcome=report.outcome,
        violence_type=report.violence_type,
        perpetrator=report.perpetrator,
        alone_or_unable_to_get_help=report.alone_or_unable_to_get_help,
        injuries=report.injuries,
        notes=report.notes,
        follow_up_needed=report.follow_up_needed,
        follow_up_due=report.follow_up_due,
        caution_description=caution.description if caution else None,
        caution_reason=caution.reason if caution else None,
        caution_approved=False,
        completed_by_role=report.completed_by_role,
        started_at=report.started_at,
        reported_at=report.sent_at,
        drill=report.drill,
    )
