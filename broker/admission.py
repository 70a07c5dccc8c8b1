"""The hub's admission: :func:`shared.authz.judge` with the hub's roster and its memory of who
raised each alert.

Admission runs on the network threads (one per intake session, see broker/intake.py), before a
message is queued for the recorder, so the escalation thread sees it at once. Who raised an
alert comes first from the raises admitted in this run (a kiosk's raise and its cancel may share
one database batch: MQTT keeps one client's messages in order, so the raise is always admitted
first), then from the database, which remembers across restarts. A database error propagates:
the caller defers the message to the recorder thread, which retries through outages.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from broker.roster_keeper import RosterKeeper
from shared import topics
from shared.authz import Verdict, judge_payload
from shared.db.models import AlertRow
from shared.mqtt_link import Received
from shared.protocol import AlertRaised

log = logging.getLogger(__name__)

OWNERS_REMEMBERED = 50_000  # alert owners kept in memory; older ones are read from the database


class Admission:
    """Judge one received message (any thread)."""

    def __init__(self, roster: RosterKeeper, sessions: sessionmaker[Session]) -> None:
        self._roster = roster
        self._sessions = sessions
        self._owners: OrderedDict[uuid.UUID, str] = OrderedDict()
        self._lock = threading.Lock()

    def judge(self, received: Received) -> Verdict:
        """The verdict for ``received``; SQLAlchemyError when the database must be asked and
        cannot answer (the caller retries later)."""
        self._recognise_sender(received.topic)
        try:
            verdict = judge_payload(
                received.topic,
                received.payload,
                retained=received.retained,
                roster=self._roster.index,
                owner_of=self.owner_of,
            )
        except SQLAlchemyError:
            raise
        except Exception as error:  # a bug in the rule must not stop a network thread
            log.exception("could not judge a message on %s", received.topic)
            return Verdict(None, f"could not be judged ({error.__class__.__name__})")
        if isinstance(verdict.message, AlertRaised):
            self._remember(verdict.message.alert_id, verdict.message.device)
        return verdict

    def owner_of(self, alert_id: uuid.UUID) -> str | None:
        """The device that raised ``alert_id``, or None if it was never recorded."""
        with self._lock:
            owner = self._owners.get(alert_id)
        if owner is not None:
            return owner
        with self._sessions() as session:
            owner = session.scalar(select(AlertRow.kiosk).where(AlertRow.alert_id == alert_id))
        if owner is not None:
            self._remember(alert_id, owner)
        return owner

    def _remember(self, alert_id: uuid.UUID, device: str) -> None:
        with self._lock:
            self._owners.setdefault(alert_id, device)  # the first raiser keeps it
            self._owners.move_to_end(alert_id)
            while len(self._owners) > OWNERS_REMEMBERED:
                self._owners.popitem(last=False)

    def _recognise_sender(self, topic: str) -> None:
        """A sender missing from the roster may have been provisioned a moment ago."""
        try:
            device = topics.parse(topic).device
        except ValueError:
            return  # the rule refuses it with the reason
        self._roster.knows(device)
