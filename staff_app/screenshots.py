"""``calmdesk pager --screenshots DIR``: every pager screen in every language, as PNG files.

Each scene is built from real protocol messages fed into a real :class:`PagerCore` on a fake
clock (no broker), rendered at the phone-portrait size, checked with
:func:`shared.ui.fit.misfits` (no label's text larger than its box, nothing off screen; list
rows inside scroll views are checked one by one), and saved as
``DIR/<scene>_<lang>.png``. Returns the problems found; the command exits 1 if there are any.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from shared.i18n import LANGUAGES
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import (
    Acknowledged,
    AlertCancelled,
    AlertContext,
    AlertRaised,
    Message,
    Resolved,
)
from staff_app.domain.clock import FakeClock
from staff_app.domain.pager import Holder, PagerCore
from staff_app.domain.ring import RecordingAudio, RingController

log = logging.getLogger(__name__)

STORE = "demo"
SAM = Holder("pager-s1", STORE, "security", "Sam")
ALEX = Holder("pager-m1", STORE, "manager", "Alex")


@dataclass
class Scene:
    name: str
    holder: Holder
    build: Callable[[PagerCore, FakeClock], None]
    signed_in: bool = True
    online: bool = True
    screen: str | None = None


SCENE_NOW_S = 3 * 3600
"""Scenes are shown at this many seconds after the fake clock's start; messages are fed at
their own sent_at time before it, as a live pager would have received them."""


def _scene_now(clock: FakeClock) -> datetime:
    return clock.start + timedelta(seconds=SCENE_NOW_S)


def _raise(clock: FakeClock, level: str, ago: float, **fields: object) -> AlertRaised:
    sent_at = _scene_now(clock) - timedelta(seconds=ago)
    flow_s = float(fields.pop("flow_s", 95))  # type: ignore[arg-type]
    context = AlertContext(
        situation=str(fields.pop("situation", "angry")),
        step_index=fields.pop("step_index", 2),  # type: ignore[arg-type]
        step_count=7,
        risk=fields.pop("risk", "medium"),  # type: ignore[arg-type]
        flow_started_at=sent_at - timedelta(seconds=flow_s),
    )
    return AlertRaised(
        store=STORE,
        device=str(fields.pop("kiosk", "kiosk-2")),
        level=level,  # type: ignore[arg-type]
        counter=str(fields.pop("counter", "Counter 2")),
        sent_at=sent_at,
        context=context,
        **fields,  # type: ignore[arg-type]
    )


def _reply(cls: type, raised: AlertRaised, clock: FakeClock, after: float, **fields: object):
    base: dict[str, object] = {
        "store": STORE,
        "alert_id": raised.alert_id,
        "sent_at": raised.sent_at + timedelta(seconds=after),
        "drill": raised.drill,
    }
    if cls is AlertCancelled:
        base["device"] = raised.device
    else:
        base |= {"device": "pager-s2", "responder_name": "Kim", "responder_role": "security"}
    return cls(**base, **fields)


def _feed(core: PagerCore, clock: FakeClock, *messages: Message) -> None:
    """Deliver each message at its own time (as it happened live)."""
    for message in sorted(messages, key=lambda m: m.sent_at):
        due = (message.sent_at - clock.now()).total_seconds()
        if due > 0:
            clock.advance(due)
        core.receive(message)


def _history(core: PagerCore, clock: FakeClock) -> None:
    a = _raise(clock, "security", 5400, counter="Counter 1", situation="threatening", risk="high")
    b = _raise(clock, "manager", 3600, counter="Counter 3", situation="wants_senior")
    c = _raise(clock, "security", 1800, counter="Counter 2", situation="intoxicated", drill=True)
    _feed(
        core,
        clock,
        a,
        _reply(Acknowledged, a, clock, 9, eta_minutes=2),
        _reply(Resolved, a, clock, 400, note="left the store"),
        b,
        _reply(AlertCancelled, b, clock, 40, reason="resolved_at_counter"),
        c,
        _reply(Acknowledged, c, clock, 14),
        _reply(Resolved, c, clock, 300),
    )


def _security_live(core: PagerCore, clock: FakeClock) -> None:
    _feed(core, clock, _raise(clock, "security", 12, situation="threatening", risk="high"))


def _manager_late_silent(core: PagerCore, clock: FakeClock) -> None:
    clock.advance(SCENE_NOW_S - clock.elapsed - 3)
    core.link_down()
    clock.advance(1)
    core.link_up()  # back online: the broker delivers what was queued meanwhile
    core.receive(
        _raise(
            clock,
            "manager",
            271,
            silent=True,
            counter="Counter 4",
            situation="wants_senior",
            step_index=4,
            risk="low",
        ),
    )


def _acknowledged_drill(core: PagerCore, clock: FakeClock) -> None:
    raised = _raise(clock, "security", 95, situation="intoxicated", drill=True)
    _feed(core, clock, raised, _reply(Acknowledged, raised, clock, 20, eta_minutes=2))
    clock.advance(SCENE_NOW_S - clock.elapsed - 5)
    core.acknowledge(raised.alert_id, eta_minutes=5)


def _active_list(core: PagerCore, clock: FakeClock) -> None:
    a = _raise(clock, "security", 40, situation="threatening", counter="Counter 1")
    b = _raise(clock, "manager", 200, situation="demanding", counter="Counter 5", silent=True)
    c = _raise(clock, "security", 330, situation="rude", counter="Counter 3")
    _feed(core, clock, a, b, c, _reply(Acknowledged, c, clock, 30, eta_minutes=5))
    core.select(None)


def _resolve(core: PagerCore, clock: FakeClock) -> None:
    raised = _raise(clock, "security", 300, situation="intoxicated")
    _feed(core, clock, raised)
    core.acknowledge(raised.alert_id)
    core.on_scene(raised.alert_id)


def _stood_down(core: PagerCore, clock: FakeClock) -> None:
    """Sam was on his way to Counter 1; the counter called it off as a false alarm."""
    raised = _raise(clock, "security", 60, counter="Counter 1", situation="threatening")
    _feed(core, clock, raised)
    core.acknowledge(raised.alert_id, eta_minutes=2)
    clock.advance(SCENE_NOW_S - clock.elapsed - 5)
    core.receive(_reply(AlertCancelled, raised, clock, 55, reason="false_alarm"))


def _went_offline(core: PagerCore, clock: FakeClock) -> None:
    clock.advance(SCENE_NOW_S - clock.elapsed - 30)
    core.link_down()


SCENES: tuple[Scene, ...] = (
    Scene("01_signin", SAM, lambda core, clock: None, signed_in=False),
    Scene("02_home_quiet", SAM, lambda core, clock: None),
    Scene("03_home_offline", ALEX, lambda core, clock: None, online=False),
    Scene("04_alert_security", SAM, _security_live),
    Scene("05_alert_manager_late_silent", ALEX, _manager_late_silent),
    Scene("06_alert_acknowledged_drill", SAM, _acknowledged_drill),
    Scene("07_home_active", ALEX, _active_list),
    Scene("08_resolve", SAM, _resolve, screen="resolve"),
    Scene("09_history", ALEX, _history, screen="history"),
    Scene("10_stood_down", SAM, _stood_down),
    Scene("11_offline_on_duty", SAM, _went_offline),
    Scene(
        "12_alert_manager_drill",
        ALEX,
        lambda core, clock: _feed(
            core, clock, _raise(clock, "manager", 20, drill=True, risk="low", counter="Counter 12")
        ),
    ),
)


def build_scene(scene: Scene, lang: str):  # type: ignore[no-untyped-def]
    """A (view-model, clock) pair in the scene's state, with nothing sent anywhere."""
    from staff_app.viewmodel import PagerViewModel

    clock = FakeClock()
    ring = RingController(RecordingAudio(), clock)
    core = PagerCore(
        scene.holder,
        send=lambda message, topic: None,
        scheduler=clock,
        ring=ring,
        on_duty=scene.signed_in,
    )
    vm = PagerViewModel(core, lang=lang)
    if scene.online:
        vm.on_link(LinkEvent(LinkState.ONLINE))
    clock.advance(3600)  # connected for a while: only a scene's own reconnect makes alerts late
    vm.signed_in = scene.signed_in
    if scene.signed_in:
        vm.sign_in(True)
    clock.advance(1)
    scene.build(core, clock)
    clock.advance(max(0.0, SCENE_NOW_S - clock.elapsed))
    if scene.screen == "resolve":
        vm.start_resolve()
    elif scene.screen == "history":
        vm.show_history()
    vm.refresh()
    return vm, clock


def check(root: object) -> list[str]:
    """Misfits of the whole screen, plus each list row (rows in a ScrollView are skipped by
    the generic check because they may scroll)."""
    from shared.ui.fit import misfits
    from staff_app.views import AlertItem

    problems = [str(m) for m in misfits(root)]  # type: ignore[arg-type]
    for widget in root.walk():  # type: ignore[attr-defined]
        if isinstance(widget, AlertItem):
            problems += [str(m) for m in misfits(widget)]
    return problems


def render_all(out_dir: Path, languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """Render every scene in every language to ``out_dir``; return the problems found."""
    from staff_app.app import WINDOW_SIZE, configure_window

    configure_window(*WINDOW_SIZE)
    from kivy.core.window import Window

    from shared.ui.screenshot import save_png, settle
    from staff_app.views import build_root

    Window.size = WINDOW_SIZE
    out_dir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for scene in SCENES:
        for lang in languages:
            vm, _clock = build_scene(scene, lang)
            root = build_root(vm)
            Window.add_widget(root)
            settle(4)
            if vm.screen != (scene.screen or vm.screen):
                problems.append(
                    f"{scene.name}/{lang}: expected screen {scene.screen}, got {vm.screen}"
                )
            path = save_png(root, out_dir / f"{scene.name}_{lang}.png")
            problems += [f"{path.name}: {problem}" for problem in check(root)]
            Window.remove_widget(root)
    return problems
