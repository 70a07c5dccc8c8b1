"""The kiosk's view-model: Kivy properties the .kv views bind to, and the actions they call.

Imports only kivy.event / kivy.properties / kivy.clock (safe without a window). Everything
runs on the UI thread: the DeviceRuntime's ``dispatch`` hops network callbacks onto it. Every
escalation tap updates these properties *before* any disk or network work, so the screen
answers the tap on the very next frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)

from kiosk.domain.aftercare import selfcare_lines
from kiosk.domain.escalation import EscalationController, KioskIdentity, Sender
from kiosk.domain.flow import SCREENS, Flow
from kiosk.domain.journal import AlertJournal, StoredEntries
from kiosk.domain.panel import Panel, build_panel, mmss
from kiosk.domain.wrapup import WrapUp
from kiosk.settings import KioskSettings
from kiosk.vm_actions import WrapUpAndExitActions
from kiosk.vm_restore import AlertJournalActions
from kiosk.wrapup_vm import WrapUpViewModel
from shared.alerts import Policy, PresenceBook, default_policy
from shared.i18n import LANGUAGES, tr
from shared.mqtt_link import LinkEvent, LinkState
from shared.playbooks import load_card, load_playbooks, load_triage, route_triage
from shared.playbooks.render import describe_escalation
from shared.protocol import Message, Presence

log = logging.getLogger(__name__)
PRESENCE_SYNC_S = 1.0
"""After (re)connecting, retained presence arrives at once; after this long, an absent pager
really means nobody is there."""
MARKS = {"done": "✓", "waiting": "○", "alarm": "⚠", "info": "•"}


def utc_now() -> datetime:
    return datetime.now(UTC)


class KioskViewModel(WrapUpAndExitActions, AlertJournalActions, EventDispatcher):
    """Screen state for the whole kiosk (one instance per app)."""

    lang = OptionProperty("en", options=LANGUAGES)
    screen = OptionProperty("home", options=SCREENS)
    drill = BooleanProperty(False)
    portrait = BooleanProperty(False)
    # Status strip
    counter_name = StringProperty("")
    online = BooleanProperty(False)
    managers_on_duty = NumericProperty(0)
    security_on_duty = NumericProperty(0)
    presence_known = BooleanProperty(False)
    silent_label = StringProperty("")
    alert_sent = BooleanProperty(False)
    """The broker confirmed the latest raise: only then may the button say "requested ✓"."""
    silent_dot = OptionProperty(
        "idle", options=("idle", "queued", "delivered", "answered", "alarm")
    )
    silent_progress = OptionProperty("idle", options=("idle", "checking", "coming", "not_in_stock"))
    """The disguised control's words (see :class:`kiosk.domain.panel.Panel.silent_progress`)."""
    bar_subtitle = StringProperty("")
    """Under the requested level's button: "requested ✓" only once the broker confirmed it,
    "not sent yet" before, "no answer" when nobody acknowledged."""
    bar_highlight = StringProperty("")
    """The escalation button the playbook (or a no-answer) says to use now: it gets an outline."""
    # Home and triage
    tiles = ListProperty()
    triage_text = StringProperty("")
    triage_progress = StringProperty("")
    # Steps
    situation_title = StringProperty("")
    step_text = StringProperty("")
    step_say = StringProperty("")
    step_avoid = StringProperty("")
    progress_text = StringProperty("")
    elapsed_text = StringProperty("")
    suggestion_text = StringProperty("")
    suggestion_role = StringProperty("")
    trigger_text = StringProperty("")
    """On-trigger situations: "Call a manager if: …", shown quietly under the step."""
    step_number = StringProperty("")
    """The store's emergency number while the current step says to phone it, else ""."""
    can_next = BooleanProperty(False)
    # Alert panel
    alert_active = BooleanProperty(False)
    alert_loud = BooleanProperty(False)
    """An open alert that is *not* silent: only then may a screen show anything about it."""
    alert_level = StringProperty("")
    pressed = StringProperty("")
    panel_header = StringProperty("")
    panel_lines = ListProperty()
    panel_alarm = BooleanProperty(False)
    panel_closed = BooleanProperty(False)
    panel_no_answer = BooleanProperty(False)
    panel_add_role = StringProperty("")
    panel_number = StringProperty("")
    alert_summary = StringProperty("")
    advice_title = StringProperty("")
    advice_lines = ListProperty()
    advice_number = StringProperty("")
    """The emergency number when the waiting card says to phone it (shown large), else ""."""
    # Reference card screen (the basic flow, opened from the home screen)
    card_title = StringProperty("")
    card_lines = ListProperty()
    undo_left = NumericProperty(0)
    # Wrap-up, self-care, exit
    wrapup = ObjectProperty(None, rebind=True)
    wrapup_error = StringProperty("")
    selfcare_title = StringProperty("")
    selfcare_lines = ListProperty()
    aftercare = BooleanProperty(False)
    """The incident was serious (security, contact, weapon, injury): self-care adds aftercare."""
    pin_entered = StringProperty("")
    pin_error = BooleanProperty(False)

    def __init__(
        self,
        identity: KioskIdentity,
        sender: Sender,
        *,
        settings: KioskSettings | None = None,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utc_now,
        on_exit: Callable[[], None] | None = None,
        journal: AlertJournal | None = None,
        outbox: StoredEntries | None = None,
        after_frame: Callable[[Callable[[], None]], None] | None = None,
        **kwargs: object,
    ) -> None:
        """``after_frame``: see :class:`EscalationController` (the app passes Kivy's Clock)."""
        super().__init__(**kwargs)
        self.settings = settings or KioskSettings()
        self.identity = identity
        self.sender = sender
        self.clock = clock
        self.on_exit = on_exit
        self.presence = PresenceBook(identity.store)
        self.escalation = EscalationController(
            identity,
            sender,
            policy or default_policy(),
            self.presence,
            undo_seconds=self.settings.undo_seconds,
            journal=journal,
            after_frame=(
                None if after_frame is None else lambda store: after_frame(self._store_then_show)
            ),
        )
        self.flow = Flow(
            load_playbooks("en"),
            [q.id for q in load_triage("en")],
            route=route_triage,
            limit_minutes=self.settings.limit_minutes,
            triage_opens={q.id: q.opens for q in load_triage("en") if q.opens},
        )
        self.wrapup = WrapUpViewModel()
        self._form: WrapUp | None = None
        self._trigger_line = ""  # the current situation's trigger rule, in the current language
        self._sync_event = None
        self.counter_name = identity.counter or identity.device
        self.drill = identity.drill
        self.lang = self.settings.lang
        self.bind(lang=lambda *_: self.refresh())
        self._restore_alert(outbox)  # the alert a previous run left open, if any
        self.refresh()

    # Helpers ---------------------------------------------------------------------------

    def tr(self, key: str, lang: str | None = None, **fmt: object) -> str:
        """UI text in the current (or given) language; kv passes ``vm.lang`` to bind to it."""
        return tr(key, lang or self.lang, **fmt)

    def _go(self, screen: str) -> None:
        self.flow.go(screen)  # type: ignore[arg-type]
        self.screen = self.flow.screen

    # Escalation taps (feedback first, then disk and network) --------------------------

    def tap_escalate(self, level: str, *, silent: bool = False) -> None:
        """One tap on MANAGER / SECURITY / the disguised control, from any screen."""
        now = self.clock()
        if self.escalation.would_change(level, silent=silent):  # type: ignore[arg-type]
            self.pressed = level
            if silent:
                self.silent_dot = "queued"
            else:
                self.alert_active = self.alert_loud = True
                self.alert_level = level
                self.panel_header = self._header(level, silent, 0)
                self._go("alert")
        elif not silent:
            self._go("alert")  # help already asked for: show where it stands
        self._request(level, now, silent=silent)  # journaled with the flow (vm_restore)
        self.refresh_alert()

    def _store_then_show(self) -> None:
        """After the tap's frame: store the raise, then show how it stands (a storage failure
        turns the panel to NOT DELIVERED)."""
        self.escalation.store_pending()
        self.refresh_alert()

    def tap_silent(self) -> None:
        """A tap on the disguised control: raises once; later taps change nothing."""
        if self.silent_progress == "idle":
            self.tap_escalate("security", silent=True)

    def cancel_silent(self) -> None:
        """The hidden cancel (holding the disguised control): a silent false alarm, closed
        without leaving the screen staff are on."""
        view = self.escalation.view
        if view is None or not view.silent or view.closed:
            return
        if self.escalation.cancel("false_alarm", self.clock()):
            self.escalation.forget()
            self._journal_done()
            self.refresh_alert()

    def add_other_role(self) -> None:
        """Nobody answered: one tap adds the other role (security for a manager alert)."""
        if self.panel_add_role:
            self.tap_escalate(self.panel_add_role)

    def undo(self) -> None:
        """Undo a Manager tap within its window (recorded as a false alarm)."""
        if self.escalation.undo(self.clock()):
            self._end_alert(to_wrapup=False)

    def cancel_false_alarm(self) -> None:
        if self.escalation.cancel("false_alarm", self.clock()):
            self._end_alert(to_wrapup=False)

    def resolved_here(self) -> None:
        """Staff close the alert as resolved at the counter, then wrap up."""
        if self.escalation.active:
            self.escalation.cancel("resolved_at_counter", self.clock())
        self._end_alert(to_wrapup=True)

    def show_panel(self) -> None:
        if self.escalation.view is not None:
            self._go("alert")

    def back_from_panel(self) -> None:
        self._go(self.flow.previous if self.flow.previous not in ("alert", "exit") else "home")

    def _end_alert(self, *, to_wrapup: bool) -> None:
        if to_wrapup:
            self.start_wrapup(near_miss=False)
        else:
            self.escalation.forget()
            self._journal_done()
            self.back_from_panel()
        self.refresh_alert()

    # Flow actions ----------------------------------------------------------------------

    def set_lang(self, lang: str) -> None:
        self.lang = lang

    def show_basics(self) -> None:
        """The basic flow card (general_flow), read in a quiet moment from the home screen."""
        self._go("card")

    def start_triage(self) -> None:
        self.flow.start_triage(self.clock())
        self.screen = self.flow.screen
        self.refresh()

    def answer(self, yes: bool) -> None:
        self.flow.answer(yes, self.clock())
        self.screen = self.flow.screen
        self._journal_flow()
        self.refresh()

    def choose(self, situation: str) -> None:
        self.flow.choose(situation, self.clock())
        self.screen = self.flow.screen
        self._journal_flow()
        self.refresh()

    def next_step(self) -> None:
        self.flow.next()
        self._journal_flow()
        self.refresh()

    def back(self) -> None:
        self.flow.back()
        self.screen = self.flow.screen
        self._journal_flow()
        self.refresh()

    def go_home(self) -> None:
        if not self.escalation.active:
            self.flow.reset()
            self._journal_done()
        self._go("home")
        self.refresh()

    def calmed(self) -> None:
        """'Calmed without help': a near miss (or, with an alert open, resolved here)."""
        if self.escalation.active:
            self.resolved_here()
            return
        self.flow.calmed_without_help()
        self.start_wrapup(near_miss=True)

    # Network callbacks (UI thread, via the runtime's dispatch) -------------------------

    def on_message(self, message: Message) -> None:
        if isinstance(message, Presence):
            if self.presence.apply(message):
                self.refresh_strip()
            return
        if self.escalation.on_message(message):
            self.escalation.tick(self.clock())
            self.refresh_alert()

    def on_delivery(self, delivery: object) -> None:
        if self.escalation.on_delivery(delivery.event_id, delivery.status):  # type: ignore[attr-defined]
            self.refresh_alert()

    def on_link(self, event: LinkEvent) -> None:
        self.online = event.state is LinkState.ONLINE
        if self.online and self._sync_event is None:
            self._sync_event = Clock.schedule_once(self._presence_synced, PRESENCE_SYNC_S)
        self.refresh_alert()

    def _presence_synced(self, _dt: float = 0) -> None:
        self.presence.mark_synced()
        self.refresh_strip()

    def tick(self, _dt: float = 0) -> None:
        """Every half second: escalation timers, elapsed time, undo countdown."""
        now = self.clock()
        if self.escalation.tick(now) or self.escalation.view is not None:
            self.refresh_alert()
        self._refresh_time(now)

    # Refresh ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute every text for the current language and state."""
        lang = self.lang
        self.tiles = [{"id": p.id, "title": p.title, "risk": p.risk} for p in load_playbooks(lang)]
        question = self.flow.triage_question
        questions = {q.id: q.text for q in load_triage(lang)}
        self.triage_text = questions.get(question, "") if question else ""
        self.triage_progress = self.tr(
            "nav.step_of", n=self.flow.triage_index + 1, total=len(questions)
        )
        self._refresh_silent_label()
        self._refresh_step(lang)
        care, after = load_card("self_care", lang), load_card("aftercare", lang)
        self.selfcare_title = (after if self.aftercare else care).title
        self.selfcare_lines = selfcare_lines(care.lines, after.lines, serious=self.aftercare)
        basics = load_card("general_flow", lang)
        self.card_title, self.card_lines = basics.title, list(basics.lines)
        self.refresh_strip()
        self.refresh_alert()
        self.screen = self.flow.screen

    def on_silent_progress(self, *_args: object) -> None:
        self._refresh_silent_label()

    def _refresh_silent_label(self) -> None:
        if self.silent_progress == "idle":
            self.silent_label = self.settings.silent_label or self.tr("disguise.check_stock")
        else:
            self.silent_label = self.tr(f"kiosk.disguise.{self.silent_progress}")

    def _refresh_step(self, lang: str) -> None:
        flow = self.flow
        playbook = next((p for p in load_playbooks(lang) if p.id == flow.situation), None)
        self._trigger_line = ""
        if playbook is None:
            self.situation_title = self.step_text = self.step_say = self.step_avoid = ""
            self.step_number = ""
            self.can_next = False
        else:
            if playbook.escalation.when == "on_trigger":
                self._trigger_line = describe_escalation(playbook.escalation, lang)
            step = playbook.steps[flow.step_index]
            self.step_number = self.identity.emergency_number if step.calls else ""
            self.situation_title = playbook.title
            self.step_text = step.text
            quote = lambda t: self.tr("playbook.quote", text=t)  # noqa: E731
            self.step_say = "  ".join(quote(t) for t in step.say)
            self.step_avoid = "  ".join(quote(t) for t in step.avoid)
            self.can_next = flow.can_next
            self.progress_text = self.tr(
                "nav.step_of", n=flow.step_index + 1, total=flow.step_count
            )
        self._refresh_time(self.clock())

    def _refresh_time(self, now: datetime) -> None:
        self.elapsed_text = mmss(self.flow.elapsed(now))
        suggestion = self.flow.suggestion(now)
        trigger = self.flow.trigger_role(now) is not None
        self.trigger_text = self._trigger_line if trigger else ""
        if suggestion is None:
            self.suggestion_text, self.suggestion_role = "", ""
        else:
            self.suggestion_role = suggestion.role
            # neutral words (the customer can read the screen): the button itself is outlined
            reason = "over_limit" if suggestion.reason == "over_limit" else "now"
            self.suggestion_text = self.tr(f"kiosk.hint.{reason}", minutes=self.flow.limit_minutes)
        self.undo_left = int(self.escalation.undo_left(now) + 0.999)
        if not self.alert_loud and self.bar_highlight != self.suggestion_role:
            self._refresh_bar()

    def refresh_strip(self) -> None:
        summary = self.presence.summary()
        self.presence_known = summary.known
        self.managers_on_duty = summary.manager.on_duty
        self.security_on_duty = summary.security.on_duty

    def refresh_alert(self) -> None:
        view = self.escalation.view
        now = self.clock()
        if view is None:
            self.alert_active = self.alert_loud = False
            self.silent_dot, self.panel_lines, self.alert_summary = "idle", [], ""
            self.silent_progress = "idle"
            self.panel_alarm = self.panel_closed = self.panel_no_answer = False
            self.panel_add_role = self.panel_number = ""
            self.undo_left = 0
            self._refresh_bar()
            return
        self.alert_sent = self.escalation.raise_delivery() in ("delivered", "recorded")
        panel = build_panel(
            view,
            self.escalation.raise_delivery(),
            now=now,
            link_online=self.online,
            emergency_number=self.identity.emergency_number,
            undo_left_s=self.escalation.undo_left(now),
            raised_locally_at=self.escalation.raised_locally_at,
        )
        self._show_panel(panel)
        self._refresh_bar()

    def _refresh_bar(self) -> None:
        """The escalation bar's subtitle and highlight, from the alert and the suggestion."""
        if self.alert_loud:
            key = "kiosk.bar.not_sent"
            if self.panel_no_answer:
                key = "kiosk.noanswer.bar"
            elif self.alert_sent:
                key = "kiosk.bar.requested"
            self.bar_subtitle = self.tr(key)
            self.bar_highlight = self.panel_add_role
        else:
            self.bar_subtitle = ""
            self.bar_highlight = self.suggestion_role

    def _show_panel(self, panel: Panel) -> None:
        self.alert_active = not panel.closed
        self.alert_loud = not panel.closed and not panel.silent
        self.alert_level = panel.level
        self.panel_closed = panel.closed
        self.panel_header = self._header(panel.level, panel.silent, panel.elapsed_s)
        lines = []
        for line in panel.lines:
            fmt = dict(line.fmt)
            if "role" in fmt:
                fmt["role"] = self.tr(f"role.{fmt['role']}")
            lines.append(
                {"state": line.state, "mark": MARKS[line.state], "text": self.tr(line.key, **fmt)}
            )
        self.panel_lines = lines
        self.panel_alarm = panel.alarm
        self.silent_dot = panel.dot if panel.silent else "idle"
        self.silent_progress = panel.silent_progress
        self.panel_no_answer = panel.no_answer
        self.panel_add_role = panel.add_role or ""
        self.panel_number = panel.call_number
        card = load_card(panel.advice_card, self.lang)
        # the whole card, most important line first (structure.toml orders it)
        self.advice_title, self.advice_lines = card.title, list(card.lines)
        self.advice_number = self.identity.emergency_number if card.calls else ""
        if panel.alarm:  # nobody answered, or it never left: no one may be coming
            self.advice_title = self.tr("kiosk.noanswer.advice_title")
        self.undo_left = panel.undo_left_s
        summary = next((entry["text"] for entry in lines if entry["state"] != "info"), "")
        self.alert_summary = f"{self.panel_header} · {summary}" if summary else self.panel_header

    def _header(self, level: str, silent: bool, elapsed_s: int) -> str:
        key = "alert.security_requested" if level == "security" else "alert.manager_requested"
        drill = f"{self.tr('pager.drill')} · " if self.drill else ""
        quiet = f" ({self.tr('escalate.silent')})" if silent else ""
        return f"{drill}{self.tr(key)}{quiet} · {mmss(elapsed_s)}"
