"""Wiring only: device file → runtime + core + view-model + views, inside a Kivy App.

Debug hooks for tests and the latency bench (off unless the variable is set):
``CALMDESK_PAGER_TRACE=<file>`` appends one JSON line per ring, screen change and layout
(the centres of tappable targets, for X input), with wall and monotonic times.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from shared.alerts import load_store_policy
from shared.device_runtime import DeviceRuntime
from shared.protocol import utc_now
from shared.settings import DeviceConfig
from shared.ui.heap import settle_heap
from staff_app.domain.journal import PagerJournal
from staff_app.domain.pager import Holder, PagerCore, pager_subscriptions
from staff_app.domain.ring import RingController
from staff_app.session import PagerSession

log = logging.getLogger(__name__)

WINDOW_SIZE = (420, 860)
TRACE_ENV = "CALMDESK_PAGER_TRACE"


def configure_window(width: int, height: int, title: str = "CalmDesk pager") -> None:
    """Window size and behaviour; must run before anything imports kivy.core.window."""
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    os.environ.setdefault("KIVY_WINDOW_TITLE", title)


class KivyScheduler:
    """The domain's scheduler on Kivy's Clock (callbacks run on the UI thread)."""

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> object:
        from kivy.clock import Clock

        return Clock.schedule_once(lambda _dt, fn=fn: fn(), delay_s)

    def now(self) -> datetime:
        return utc_now()


class Trace:
    """Appends JSON lines for tests and benches; a no-op without a path."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self._lock = threading.Lock()
        self.enabled = self._path is not None

    def __call__(self, event: str, **fields: object) -> None:
        if self._path is None:
            return
        line = {"event": event, "t_wall": time.time(), "t_mono": time.monotonic(), **fields}
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")


def kivy_dispatch(fn: Callable[[], None]) -> None:
    """Hand a callback from paho's thread to the Kivy thread (Clock is thread-safe)."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt, fn=fn: fn(), 0)


def run_pager(config: DeviceConfig, data_dir: Path, *, lang: str | None = None) -> int:
    """Open the pager window for ``config`` and run until the window closes."""
    configure_window(*WINDOW_SIZE, title=f"CalmDesk pager — {config.display_name}")
    from kivy.app import App
    from kivy.clock import Clock

    from staff_app.audio import KivySoundAudio, platform_vibrator
    from staff_app.viewmodel import PagerViewModel
    from staff_app.views import build_root, targets

    trace = Trace(os.environ.get(TRACE_ENV))
    session = PagerSession.load(data_dir, config.device)
    if lang:
        session.lang = lang
    scheduler = KivyScheduler()
    ring = RingController(
        KivySoundAudio(),
        scheduler,
        vibrator=platform_vibrator(),
        on_ring=lambda level: trace("ring", level=level),
    )
    policy = load_store_policy(config.store, data_dir / "policies")
    on_duty = session.signed_in and session.on_duty
    holder = Holder(config.device, config.store, config.role, config.display_name)  # type: ignore[arg-type]
    late: dict[str, object] = {}

    def traced_dispatch(fn: Callable[[], None]) -> None:
        trace("handoff")  # paho's thread, as the message leaves it
        kivy_dispatch(fn)

    def on_message(message: object) -> None:
        trace("received", type=getattr(message, "type", "?"))  # the Kivy thread
        late["vm"].on_message(message)  # type: ignore[attr-defined]

    runtime = DeviceRuntime(
        config,
        data_dir,
        subscriptions=pager_subscriptions(config.store),
        on_message=lambda message: on_message(message),
        on_delivery=lambda delivery: late["vm"].on_delivery(delivery),  # type: ignore[attr-defined]
        on_link=lambda event: late["vm"].on_link(event),  # type: ignore[attr-defined]
        dispatch=traced_dispatch if trace.enabled else kivy_dispatch,
        on_duty=on_duty,
        owner_of=lambda alert_id: late["core"].owner_of(alert_id),  # type: ignore[attr-defined]
    )
    journal = PagerJournal.for_device(data_dir, config.device)
    restored = journal.load(today=scheduler.now().astimezone().date())
    core = PagerCore(
        holder,
        send=runtime.send,
        scheduler=scheduler,
        ring=ring,
        routing=policy.routing,
        on_duty=on_duty,
        journal=journal,
    )
    late["core"] = core
    # Before the link starts: today's alerts and history come back from the device; the
    # session's re-delivery on connect is deduplicated by event id.
    core.restore(restored.records)
    if restored.records or restored.skipped:
        log.info(
            "%s: restored %d alert message(s) from %s (%d unreadable line(s) skipped)",
            config.device,
            len(restored.records),
            journal.path,
            restored.skipped,
        )

    def save(signed_in: bool, duty: bool, language: str) -> None:
        PagerSession(signed_in, duty, language).save(data_dir, config.device)

    vm = PagerViewModel(core, lang=session.lang, set_duty=runtime.set_on_duty, on_session=save)
    late["vm"] = vm
    vm.signed_in = session.signed_in
    last_state: dict[str, object] = {}

    def changed() -> None:
        vm.refresh()
        shown = core.takeover()
        state = {
            "screen": vm.screen,
            "alert": str(shown.alert_id) if shown else None,
            "late": bool(shown and shown.late),
            "band": vm.band_text if shown else "",
            "late_text": vm.late_text if shown else "",
            "responders": vm.responders_text if shown else "",
            "ringing": sorted(str(a.alert_id) for a in core.active() if a.ringing),
            "active": [str(a.alert_id) for a in core.active()],
            "history": [str(h.alert_id) for h in core.history_today()],
            "online": core.online,
            "on_duty": core.on_duty,
        }
        if state != last_state:
            last_state.clear()
            last_state.update(state)
            trace("state", **state)

    core.on_change = changed
    changed()

    class PagerApp(App):
        title = f"CalmDesk pager — {config.display_name}"

        def build(self):  # type: ignore[no-untyped-def]
            self.root_widget = build_root(vm)
            return self.root_widget

        def on_start(self) -> None:
            # SIGTERM (systemd, tests) closes like the window's close button: clean presence.
            signal.signal(
                signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: self.stop(), 0)
            )
            runtime.start()
            Clock.schedule_interval(vm.tick, 1.0)
            settle_heap()  # start-up's objects out of the collector's way (alert → ring tail)
            self._last_layout: dict[str, object] = {}
            if os.environ.get(TRACE_ENV):
                Clock.schedule_interval(self._layout, 0.5)
            vm.bind(screen=self._screen_changed, has_alert=self._screen_changed)
            self._screen_changed()

        def _screen_changed(self, *_args: object) -> None:
            changed()
            Clock.schedule_once(self._layout, 0.3)

        def _layout(self, _dt: float) -> None:
            """Trace where the tappable targets are, when that changed (tests click them)."""
            where = {"screen": vm.screen, "targets": targets(self.root_widget)}
            if where != self._last_layout:
                self._last_layout = where
                trace("targets", **where)

        def on_stop(self) -> None:
            ring.stop()
            runtime.stop()

    PagerApp().run()
    return 0
