"""Wrap-up, self-care and staff-exit actions of the kiosk view-model (split out for size).

Mixed into :class:`kiosk.viewmodel.KioskViewModel`, which declares the Kivy properties these
methods set (``wrapup``, ``wrapup_error``, ``pin_entered``, ``pin_error``, ``screen``...).
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.domain.aftercare import needs_aftercare
from kiosk.domain.wrapup import WrapUp, WrapUpError
from shared import topics

log = logging.getLogger(__name__)


class WrapUpAndExitActions:
    """Actions for the wrap-up form, the self-care card and the PIN-protected staff exit."""

    _form: WrapUp | None
    wrapup: Any
    wrapup_error: str
    pin_entered: str
    pin_error: bool
    screen: str
    aftercare: bool
    _incident_level: str | None = None

    def start_wrapup(self, *, near_miss: bool) -> None:
        """Open a blank wrap-up form for the flow (and alert) that just ended."""
        view = self.escalation.view
        flow = self.flow
        self._incident_level = view.level if view is not None else None
        self._form = WrapUp(
            store=self.identity.store,
            device=self.identity.device,
            counter=self.counter_name,
            drill=self.identity.drill,
            alert_id=view.alert_id if view is not None else None,
            situation=flow.situation,
            steps_reached=flow.max_step_reached + 1 if flow.situation else 0,
            started_at=flow.started_at,
            near_miss=near_miss and view is None,
        )
        if view is not None and self.escalation.journal is not None:
            self.escalation.journal.record_wrapup(view.alert_id)  # restart → back to this form
        self.wrapup.reset(near_miss=self._form.near_miss)
        self.wrapup_error = ""
        self.escalation.forget()
        self._go("wrapup")
        self.refresh()

    def save_wrapup(self) -> bool:
        """Validate and send the incident report (needs the hub's receipt); then self-care."""
        if self._form is None:
            return False
        now = self.clock()
        try:
            report = self.wrapup.fill(self._form).to_report(now)
        except WrapUpError as error:
            self.wrapup_error = self.tr(error.key)
            return False
        try:
            self.sender.send(
                report,
                topics.kiosk_incident(self.identity.store, self.identity.device),
                needs_receipt=True,
            )
        except Exception as error:
            log.exception("could not store the incident report")
            self.wrapup_error = self.tr("kiosk.wrapup.error_store", detail=str(error)[:80])
            return False
        self._form = None
        self.wrapup_error = ""
        self.aftercare = needs_aftercare(
            alert_level=self._incident_level,
            triage_route=self.flow.triage_route,
            violence_type=report.violence_type,
            injuries=report.injuries,
        )
        self._journal_done()  # the report is in the outbox: the incident is over here
        self._go("selfcare")
        self.refresh()
        return True

    def finish_selfcare(self) -> None:
        self.aftercare = False
        self._incident_level = None
        self._journal_done()
        self.flow.reset()
        self.screen = self.flow.screen
        self.refresh()

    # Staff exit ------------------------------------------------------------------------

    def request_exit(self) -> None:
        self.pin_entered, self.pin_error = "", False
        self._go("exit")

    def pin_key(self, key: str) -> None:
        if key == "clear":
            self.pin_entered, self.pin_error = "", False
        elif key == "ok":
            if self.pin_entered == self.settings.exit_pin:
                if self.on_exit is not None:
                    self.on_exit()
            else:
                self.pin_entered, self.pin_error = "", True
        elif len(self.pin_entered) < 8:
            self.pin_entered += key
            self.pin_error = False

    def cancel_exit(self) -> None:
        self.pin_entered = ""
        self.back_from_panel()
