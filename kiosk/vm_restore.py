"""Alert-journal glue of the kiosk view-model: restore after a restart, note flow changes,
and forget the journal when the incident is over (split out for size).

Mixed into :class:`kiosk.viewmodel.KioskViewModel`, which takes the ``journal`` (kept across
restarts) and the runtime's ``outbox`` (which restored messages are still undelivered). The
journal itself and the replay live in plain Python (:mod:`kiosk.domain.journal`,
:meth:`EscalationController.restore`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from kiosk.domain.escalation import EscalationController
from kiosk.domain.flow import Flow
from kiosk.domain.journal import FlowSnapshot, StoredEntries, outbox_delivery

log = logging.getLogger(__name__)


class AlertJournalActions:
    """Restore the open alert at start; keep the journal in step with the flow."""

    escalation: EscalationController
    flow: Flow
    screen: Any
    _flow_journaled: tuple[uuid.UUID, FlowSnapshot] | None = None

    def _restore_alert(self, outbox: StoredEntries | None) -> bool:
        """Bring back the alert a previous run left open, on the screen it was on."""
        journal = self.escalation.journal
        if journal is None:
            return False
        journaled = journal.load()
        if not self.escalation.restore(journaled, outbox_delivery(outbox)):
            if journaled.entries or journaled.flow or journaled.wrapup_started:
                log.warning("alert journal %s: no raise in it; nothing restored", journal.path)
                journal.clear()
            return False
        view = self.escalation.view
        assert view is not None
        first = min(journaled.own_raises, key=lambda m: m.sent_at)
        self.flow.resume(journaled.flow or FlowSnapshot.from_raise(first))
        self._flow_journaled = (view.alert_id, self.flow.snapshot())
        log.warning(
            "%s: restored alert %s (%s, %s) from the journal after a restart",
            self.escalation.identity.device,
            view.alert_id,
            view.level,
            view.status,
        )
        if journaled.wrapup_started:
            # the wrap-up of this alert was under way (WrapUpAndExitActions.start_wrapup)
            self.start_wrapup(near_miss=False)  # type: ignore[attr-defined]
        elif not (view.silent and not view.closed):
            self.flow.go("alert")  # a silent alert shows nothing but the dot, as before
        self.screen = self.flow.screen
        return True

    def _request(self, level: Any, now: datetime, *, silent: bool) -> None:
        """Raise or upgrade, the flow journaled with the raise (one fsync on the tap's path)."""
        flow = self.flow.snapshot()
        result = self.escalation.request(level, now, self.flow.context(), silent=silent, flow=flow)
        if result in ("raised", "upgraded") and self.escalation.alert_id is not None:
            self._flow_journaled = (self.escalation.alert_id, flow)

    def _journal_flow(self) -> None:
        """Note where the staff member is now, if an alert is on record (and it changed)."""
        view = self.escalation.view
        journal = self.escalation.journal
        if journal is None or view is None:
            return
        current = (view.alert_id, self.flow.snapshot())
        if current != self._flow_journaled:
            journal.record_flow(*current)
            self._flow_journaled = current

    def _journal_done(self) -> None:
        """The incident is over for this kiosk (wrapped up, dismissed, or home)."""
        if self.escalation.journal is not None:
            self.escalation.journal.clear()
        self._flow_journaled = None
