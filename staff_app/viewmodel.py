"""The pager's view-model: Kivy properties the .kv files bind to, and the actions they call.

No widgets here (``kivy.event``/``kivy.properties`` only, safe without a window). Everything
runs on the UI thread: the runtime hands messages over through ``Clock.schedule_once`` before
they reach :meth:`PagerViewModel.on_message`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import lru_cache

from kivy.event import EventDispatcher
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)

from shared.device_runtime import Delivery
from shared.i18n import LANGUAGES, tr
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import Message
from shared.ui.line_breaking import keep_together
from staff_app.domain.pager import HistoryEntry, PagerAlert, PagerCore, format_duration

log = logging.getLogger(__name__)

KIOSK_LOST_SITUATION = "kiosk_offline"  # see broker/escalation.py
SCREENS = ("signin", "home", "alert", "resolve", "history")
ETA_CHOICES = (2, 5, 10)


@lru_cache(maxsize=64)
def situation_title(situation: str | None, lang: str) -> str:
    """The playbook's title for a situation id, or a plain fallback if unknown."""
    if not situation:
        return tr("pager.info.no_situation", lang)
    if situation == KIOSK_LOST_SITUATION:  # raised by the hub, not by a kiosk
        return tr("pager.info.kiosk_offline", lang)
    try:
        from shared.playbooks.loader import get_playbook

        return get_playbook(situation, lang).title
    except Exception:  # an unknown id from a newer kiosk must not break the pager
        return situation.replace("_", " ")


class PagerViewModel(EventDispatcher):
    """State of the pager screens, derived from :class:`PagerCore` on every change."""

    lang = OptionProperty("en", options=list(LANGUAGES))
    screen = OptionProperty("signin", options=list(SCREENS))
    signed_in = BooleanProperty(False)
    holder_name = StringProperty("")
    role = StringProperty("security")
    role_text = StringProperty("")
    device_text = StringProperty("")
    duty = BooleanProperty(False)
    """On duty (not named on_duty: kv and bind() treat on_* names as events)."""
    online = BooleanProperty(False)
    link_text = StringProperty("")
    """Short, for the header ("connected" / "offline"); the home screen says the rest."""

    has_alert = BooleanProperty(False)
    level = StringProperty("security")
    band_text = StringProperty("")
    late_text = StringProperty("")
    counter_text = StringProperty("")
    step_text = StringProperty("")
    silent = BooleanProperty(False)
    silent_text = StringProperty("")
    age_text = StringProperty("")
    responders_text = StringProperty("")
    drill = BooleanProperty(False)
    ringing = BooleanProperty(False)
    alert_ringing = BooleanProperty(False)
    can_acknowledge = BooleanProperty(False)
    ack_text = StringProperty("")
    can_go_on_scene = BooleanProperty(False)
    can_resolve = BooleanProperty(False)
    takeover = BooleanProperty(False)
    """The shown alert still waits for *my* acknowledgement: it fills the whole screen."""
    raised_at_text = StringProperty("")
    situation_text = StringProperty("")
    risk = StringProperty("")
    risk_text = StringProperty("")
    drill_text = StringProperty("")
    stood_down_text = StringProperty("")
    """ "Stood down: false alarm at Counter 1" for each alert called off while shown here."""
    eta = NumericProperty(0)
    feedback_text = StringProperty("")
    feedback_state = OptionProperty("none", options=["none", "sending", "sent", "failed"])

    active_items = ListProperty([])
    history_items = ListProperty([])
    active_count = NumericProperty(0)
    history_count = NumericProperty(0)

    def __init__(
        self,
        core: PagerCore,
        *,
        lang: str = "en",
        set_duty: Callable[[bool], None] | None = None,
        on_session: Callable[[bool, bool, str], None] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.core = core
        self._set_duty = set_duty
        self._on_session = on_session
        self._shown: uuid.UUID | None = None
        self._pending: set[uuid.UUID] = set()
        self.lang = lang
        self.holder_name = core.holder.display_name or core.holder.device
        self.role = core.holder.role
        self.device_text = ""
        self.duty = core.on_duty
        core.on_change = self.refresh
        self.bind(lang=lambda *_: self.refresh())
        self.refresh()

    # Text ------------------------------------------------------------------------------

    def t(self, key: str, lang: str, **fmt: object) -> str:
        """Translate; kv passes ``vm.lang`` so the text re-evaluates on a language change."""
        return tr(key, lang, **fmt)

    # Inputs from the runtime (already on the UI thread) -----------------------------------

    def on_message(self, message: Message) -> None:
        self.core.receive(message)

    def on_link(self, event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            self.core.link_up()
        elif self.core.online:
            self.core.link_down()
        else:
            self.refresh()

    def on_delivery(self, delivery: Delivery) -> None:
        if delivery.event_id not in self._pending:
            return
        if delivery.status in ("delivered", "recorded"):
            self._pending.discard(delivery.event_id)
            self._feedback("sent")
        elif delivery.status == "failed":
            self._pending.discard(delivery.event_id)
            self._feedback("failed")

    def tick(self, *_args: object) -> None:
        """Once a second: ages move on."""
        self.refresh()

    # Actions from the views -----------------------------------------------------------

    def sign_in(self, on_duty: bool) -> None:
        self.signed_in = True
        self._duty(on_duty)

    def toggle_duty(self) -> None:
        self._duty(not self.duty)

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self._save_session()

    def dismiss_stood_down(self) -> None:
        self.core.dismiss_stood_down()

    def choose_eta(self, minutes: int) -> None:
        self.eta = 0 if self.eta == minutes else minutes

    def open_alert(self, alert_id: str) -> None:
        self.core.select(uuid.UUID(alert_id))
        self.screen = "alert"
        self.refresh()

    def show_list(self) -> None:
        self.core.select(None)
        self.screen = "home"
        self.refresh()

    def show_history(self) -> None:
        self.core.select(None)
        self.screen = "history"
        self.refresh()

    def acknowledge(self) -> None:
        self._act(lambda alert_id: self.core.acknowledge(alert_id, self.eta or None))

    def go_on_scene(self) -> None:
        self._act(self.core.on_scene)

    def start_resolve(self) -> None:
        if self._shown is not None:
            self.screen = "resolve"

    def cancel_resolve(self) -> None:
        self.screen = "alert" if self._shown is not None else "home"
        self.refresh()

    def confirm_resolve(self, note: str) -> None:
        self._act(lambda alert_id: self.core.resolve(alert_id, note))
        if self.feedback_state != "failed":
            self.screen = "home"
            self.refresh()

    # Internals ------------------------------------------------------------------------

    def _duty(self, on_duty: bool) -> None:
        self.duty = on_duty
        self.core.set_on_duty(on_duty)
        if self._set_duty is not None:
            self._set_duty(on_duty)
        self._save_session()
        self.refresh()

    def _save_session(self) -> None:
        if self._on_session is not None:
            self._on_session(self.signed_in, self.duty, self.lang)

    def _act(self, action: Callable[[uuid.UUID], Message]) -> None:
        if self._shown is None:
            return
        try:
            message = action(self._shown)
        except Exception:
            log.exception("%s: action could not be stored", self.core.holder.device)
            self._feedback("failed")
            return
        self._pending.add(message.event_id)
        self._feedback("sending")
        self.eta = 0

    def _feedback(self, state: str) -> None:
        self.feedback_state = state
        keys = {"sending": "pager.act.sending", "sent": "pager.act.sent"}
        self.feedback_text = (
            "" if state == "none" else tr(keys.get(state, "pager.act.not_sent"), self.lang)
        )

    def refresh(self, *_args: object) -> None:
        """Re-derive every property from the core (cheap: a handful of alerts)."""
        core, lang = self.core, self.lang
        holder = core.holder
        self.role_text = tr(f"pager.role.{holder.role}", lang)
        self.device_text = tr(
            "pager.signin.store_device", lang, store=holder.store, device=holder.device
        )
        self.online = core.online
        self.link_text = tr("pager.link.online" if core.online else "pager.offline.short", lang)
        self.stood_down_text = "\n".join(
            tr(f"pager.stood_down.{notice.reason}", lang, counter=keep_together(notice.counter))
            + (f" · {tr('pager.drill', lang)}" if notice.drill else "")
            for notice in reversed(core.stood_down)
        )
        self.ringing = core.ringing
        now = core.now()
        active = core.active()
        history = core.history_today()
        self.active_count, self.history_count = len(active), len(history)
        self.active_items = [self._item(alert, now) for alert in active]
        self.history_items = [self._history_item(entry) for entry in history]
        takeover = core.takeover() if self.signed_in else None
        if takeover is not None and takeover.alert_id != self._shown:
            self.eta = 0
            if not self._pending:
                self._feedback("none")
        self._shown = takeover.alert_id if takeover is not None else None
        self._show(takeover, now)
        if not self.signed_in:
            self.screen = "signin"
        elif takeover is not None:
            if self.screen != "resolve":
                self.screen = "alert"
        elif self.screen in ("alert", "resolve", "signin"):
            self.screen = "home"

    def _show(self, alert: PagerAlert | None, now: object) -> None:
        self.has_alert = alert is not None
        if alert is None:
            self.alert_ringing = self.takeover = False
            return
        lang, view = self.lang, alert.view
        self.level = view.level
        self.drill = view.drill
        self.alert_ringing = alert.ringing
        self.band_text = tr(f"pager.{view.level}_needed", lang)
        self.drill_text = tr("pager.takeover.drill_band", lang) if view.drill else ""
        counter = keep_together(view.counter or view.kiosk)
        self.raised_at_text = tr("pager.takeover.raised_at", lang, counter=counter)
        self.risk = view.context.risk or ""
        self.risk_text = (
            tr("pager.info.risk", lang, risk=tr(f"risk.{view.context.risk}", lang))
            if view.context.risk
            else ""
        )
        age = format_duration(alert.age_s(now))  # type: ignore[arg-type]
        self.late_text = tr("pager.received_late", lang, t=age) if alert.late else ""
        situation = situation_title(view.context.situation, lang)
        self.counter_text = f"{counter} · {situation}"
        self.situation_text = situation
        parts = []
        ctx = view.context
        if ctx.step_index is not None and ctx.step_count:
            parts.append(tr("pager.info.step", lang, n=ctx.step_index + 1, total=ctx.step_count))
        if ctx.flow_started_at is not None:
            into_flow = (view.raised_at - ctx.flow_started_at).total_seconds()
            parts.append(tr("pager.info.flow", lang, t=format_duration(into_flow)))
        self.step_text = " · ".join(parts)
        self.silent = view.silent
        self.silent_text = tr("pager.info.silent" if view.silent else "pager.info.audible", lang)
        self.age_text = tr("pager.info.raised", lang, t=age)
        self.responders_text = self._responders(alert)
        self.can_acknowledge = alert.can_acknowledge
        if alert.mine == "none":
            self.ack_text = tr("pager.acknowledge", lang)
        else:
            self.ack_text = "✓ " + tr(
                f"pager.info.you_{'on_scene' if alert.mine == 'on_scene' else 'on_way'}", lang
            )
        self.can_go_on_scene = alert.can_go_on_scene
        self.can_resolve = alert.can_resolve
        self.takeover = alert.can_acknowledge

    def _responders(self, alert: PagerAlert) -> str:
        lang, me = self.lang, self.core.holder.device
        if alert.mine == "on_scene":
            mine = tr("pager.info.you_on_scene", lang)
        elif alert.mine == "acknowledged":
            mine = tr("pager.info.you_on_way", lang)
        else:
            mine = ""
        others = []
        for person in alert.view.current_responders:
            if person.device == me:
                continue
            text = f"{person.name} ({tr(f'pager.role.{person.role}', lang)})"
            if person.eta_minutes is not None:
                text += " " + tr("pager.info.eta", lang, n=person.eta_minutes)
            others.append(text)
        if others:
            line = tr("pager.info.responding", lang, names=", ".join(others))
        else:
            line = tr("pager.nobody_else", lang)
        return f"{mine}\n{line}" if mine else line

    def _item(self, alert: PagerAlert, now: object) -> dict[str, object]:
        lang, view = self.lang, alert.view
        age = format_duration(alert.age_s(now))  # type: ignore[arg-type]
        first = view.current_responders[0].name if view.current_responders else ""
        status = tr(f"pager.status.{view.status}", lang, name=first)
        detail = f"{situation_title(view.context.situation, lang)} · {tr('pager.ago', lang, t=age)}"
        flags = []
        if alert.ringing:
            flags.append(tr("pager.list.ringing", lang))
        if alert.late:
            flags.append(tr("pager.hist.late", lang))
        if view.drill:
            flags.append(tr("pager.drill", lang))
        return {
            "alert_id": str(view.alert_id),
            "level": view.level,
            "title": f"{tr(f'pager.{view.level}_needed', lang)} · "
            + keep_together(view.counter or view.kiosk),
            "detail": detail,
            "status": " · ".join([status, *flags]),
            "ringing": alert.ringing,
        }

    def _history_item(self, entry: HistoryEntry) -> dict[str, object]:
        lang = self.lang
        if entry.outcome == "resolved":
            outcome = tr("pager.hist.resolved_by", lang, name=entry.closed_by or "?")
        else:
            outcome = tr(f"pager.hist.{entry.outcome}", lang)
        if entry.time_to_ack_s is not None:
            answer = tr("pager.hist.ack_after", lang, t=format_duration(entry.time_to_ack_s))
        else:
            answer = tr("pager.hist.no_ack", lang)
        clock = entry.raised_at.astimezone().strftime("%H:%M")
        flags = [tr("pager.drill", lang)] if entry.drill else []
        if entry.late:
            flags.append(tr("pager.hist.late", lang))
        return {
            "level": entry.level,
            "title": f"{clock} · {tr(f'pager.role.{entry.level}', lang)} · "
            + keep_together(entry.counter),
            "detail": " · ".join([situation_title(entry.situation, lang), *flags]),
            "status": f"{outcome} · {answer}",
            "ringing": False,
        }
