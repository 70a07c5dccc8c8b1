"""Wiring only: the device runtime, the view-model, the views, the timers and kiosk mode.

``build_kiosk`` is what the app and the UI tests share (tests attach ``kiosk.root`` to the
one Window themselves instead of calling ``App.run``). Importing this module imports Kivy's
window: call :func:`configure_window` first (``kiosk.commands`` does).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from kiosk.views import KioskRoot
from kiosk.wiring import wire_kiosk
from shared.device_runtime import DeviceRuntime
from shared.settings import DeviceConfig
from shared.ui.heap import settle_heap

log = logging.getLogger(__name__)
TICK_S = 0.5


def kivy_dispatch(fn: Callable[[], None]) -> None:
    """Run ``fn`` on the Kivy thread (Clock scheduling is thread-safe; ``fn`` bound eagerly)."""
    Clock.schedule_once(partial(_call, fn), 0)


def _call(fn: Callable[[], None], _dt: float) -> None:
    fn()


@dataclass
class Kiosk:
    vm: KioskViewModel
    runtime: DeviceRuntime
    root: KioskRoot
    _ticker: object = None

    def start(self) -> None:
        """Connect (in the background) and start the half-second timer."""
        self.runtime.start()
        self._ticker = Clock.schedule_interval(self.vm.tick, TICK_S)
        settle_heap()  # start-up's objects out of the collector's way (tap → frame tail)

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()  # type: ignore[attr-defined]
        self.vm.escalation.store_pending()  # a tap in the very last frame is still stored
        self.runtime.stop()


def build_kiosk(
    config: DeviceConfig,
    data_dir: Path,
    settings: KioskSettings,
    *,
    on_exit: Callable[[], None] | None = None,
) -> Kiosk:
    """Create runtime, view-model and root widget for one kiosk device (not started)."""
    vm, runtime = wire_kiosk(
        config,
        data_dir,
        settings,
        dispatch=kivy_dispatch,
        on_exit=on_exit,
        # Clock's next tick comes after this frame is drawn: "Sending…" first, then the fsyncs
        after_frame=kivy_dispatch,
    )
    return Kiosk(vm=vm, runtime=runtime, root=KioskRoot(vm=vm))


class KioskApp(App):
    """The kiosk application: full screen if asked, and no accidental exit."""

    title = "CalmDesk"

    def __init__(self, config: DeviceConfig, data_dir: Path, settings: KioskSettings) -> None:
        super().__init__()
        self.device_config = config
        self.data_dir = data_dir
        self.kiosk_settings = settings
        self.kiosk: Kiosk | None = None
        self._leaving = False

    def build(self) -> KioskRoot:
        self.kiosk = build_kiosk(
            self.device_config, self.data_dir, self.kiosk_settings, on_exit=self.leave
        )
        Window.bind(on_request_close=self._on_request_close)
        return self.kiosk.root

    def on_start(self) -> None:
        assert self.kiosk is not None
        # SIGTERM (systemd stop, the demo's Ctrl-C) is an administrative exit: say offline
        # cleanly so the hub does not page the managers about a dead counter
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: Clock.schedule_once(lambda _dt: self.leave(), 0))
        self.kiosk.start()
        Window.bind(on_flip=self._first_frame)

    def _first_frame(self, *_args: object) -> None:
        """After the first frame of the home screen is on screen (benchmarks use this)."""
        Window.unbind(on_flip=self._first_frame)
        started = os.environ.get("CALMDESK_BENCH_T0")
        if started:
            print(f"first_frame_s={time.time() - float(started):.3f}", flush=True)
        if os.environ.get("CALMDESK_EXIT_AFTER_FIRST_FRAME"):
            self.leave()

    def leave(self) -> None:
        """The staff exit (PIN accepted): the only way out."""
        self._leaving = True
        self.stop()

    def _on_request_close(self, *_args: object, **_kwargs: object) -> bool:
        """Block window close / Alt-F4 / Escape unless the staff exit was used."""
        return not self._leaving

    def on_stop(self) -> None:
        if self.kiosk is not None:
            self.kiosk.stop()

    def on_pause(self) -> bool:
        return True  # Android: keep running rather than being torn down
