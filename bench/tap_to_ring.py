"""Tap-to-ring latency across the two real apps, beside a raw broker baseline, in one run.

    xvfb-run -a -s "-screen 0 1280x800x24 +extension GLX" .venv/bin/python bench/tap_to_ring.py

- Starts a throwaway store (real Mosquitto on a free port, provisioned devices).
- Baseline: kiosk-1 publishes a QoS 1 AlertRaised on its topic; a plain subscriber (pager-s2's
  credentials) times publish -> receive. No outbox, no UI.
- Apps: the kiosk app in this process's Kivy window and the pager app (``python -m staff_app``)
  as a subprocess on the same display. Each round touches the kiosk's Security button and
  times touch -> the pager's ring callback (its ``CALMDESK_PAGER_TRACE`` line; both sides use
  CLOCK_MONOTONIC), then cancels the alert as a false alarm and waits until the pager is quiet.
"""

from __future__ import annotations

import os
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="calmdesk-bench-kivy-"))

from shared import topics  # noqa: E402
from shared.protocol import AlertRaised, encode  # noqa: E402
from staff_app.session import PagerSession  # noqa: E402
from staff_app.xdrive import PagerWindow  # noqa: E402
from tests.support.store import Store, running_store  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "20"))


def summary(name: str, samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"{name:<44} n={len(ordered):>3}  median {statistics.median(ordered):6.1f} ms  "
        f"p90 {p90:6.1f} ms  min {ordered[0]:6.1f}  max {ordered[-1]:6.1f}"
    )


def baseline(store: Store, rounds: int) -> list[float]:
    """QoS 1 publish -> subscriber receive on the same broker.

    Its links are closed before returning: the kiosk app connects next as the same client id
    (kiosk-1), and two live clients with one id take the session over from each other every
    reconnect delay (1 s), leaving the app offline about half the time.
    """
    sid = store.store_id
    arrived: queue.Queue[float] = queue.Queue()
    subscriber = store.link(
        "pager-s2",
        subscriptions=(topics.all_kiosk_alerts(sid),),
        persistent_session=False,
    )[0]
    subscriber._on_received = lambda received: arrived.put(time.monotonic())
    kiosk, _, _ = store.link("kiosk-1")
    samples = []
    try:
        for _ in range(rounds + 3):
            payload = encode(
                AlertRaised(store=sid, device="kiosk-1", level="security", counter="B")
            )
            started = time.monotonic()
            kiosk.publish(topics.kiosk_alert(sid, "kiosk-1"), payload)
            samples.append((arrived.get(timeout=5) - started) * 1000)
            time.sleep(0.05)
    finally:
        kiosk.stop()
        subscriber.stop()
    return samples[3:]  # the first few warm up the connection


def apps(store: Store, rounds: int, work: Path) -> list[float]:
    from kiosk.app import build_kiosk
    from kiosk.commands import LANDSCAPE, configure_kivy
    from kiosk.settings import KioskSettings

    configure_kivy(size=LANDSCAPE, fullscreen=False)
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from shared.ui.screenshot import settle
    from shared.ui.widgets import CalmButton

    def pump(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not (value := check()):
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met")
            settle(1)
            time.sleep(0.002)
        return value

    Window.size = LANDSCAPE
    kiosk = build_kiosk(store.device("kiosk-1"), work / "kiosk", KioskSettings())
    Window.add_widget(kiosk.root)
    kiosk.start()
    data_dir = store.settings.data_dir
    PagerSession(signed_in=True, on_duty=True).save(data_dir, "pager-s1")
    pager = PagerWindow("pager-s1", data_dir, os.environ["DISPLAY"], work / "pager.jsonl")
    samples: list[float] = []
    split: list[tuple[float, float]] = []
    try:
        pager.find_window()
        pager.wait_for(lambda ev: any(e["event"] == "state" and e["online"] for e in ev), 20)
        vm = kiosk.vm
        pump(lambda: vm.online and vm.security_on_duty >= 1)
        for _ in range(rounds):
            rings_before = len(pager.events("ring"))
            button = next(
                w
                for w in kiosk.root.bar.walk()
                if isinstance(w, CalmButton) and vm.tr("escalate.security") in w.text
            )
            x, y = button.to_window(*button.center)
            touch = UnitTestTouch(x, y)
            started = time.monotonic()
            touch.touch_down()
            touch.touch_up()
            # Keep the kiosk's own frames running meanwhile, as its App.run loop would.
            ring = pump(lambda n=rings_before: pager.events("ring")[n:])[0]
            samples.append((ring["t_mono"] - started) * 1000)
            handoffs = [
                e["t_mono"]
                for e in pager.events("handoff")
                if started < e["t_mono"] <= ring["t_mono"]
            ]
            if handoffs:
                split.append(
                    ((handoffs[0] - started) * 1000, (ring["t_mono"] - handoffs[0]) * 1000)
                )
            vm.cancel_false_alarm()
            vm.go_home()
            settle(2)
            pager.wait_for(lambda ev: [e for e in ev if e["event"] == "state"][-1]["ringing"] == [])
            time.sleep(0.2)
    finally:
        if os.environ.get("KEEP_TRACE"):
            import shutil

            shutil.copy(work / "pager.jsonl", os.environ["KEEP_TRACE"])
        pager.stop()
        kiosk.stop()
        Window.remove_widget(kiosk.root)
    apps.split = split  # type: ignore[attr-defined]
    return samples


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print("run under xvfb-run (see the module docstring)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, running_store(Path(tmp)) as store:
        base = baseline(store, ROUNDS)
        real = apps(store, ROUNDS, Path(tmp))
    print(summary("broker baseline: publish -> subscriber", base))
    print(summary("kiosk Security touch -> pager ring callback", real))
    split = apps.split  # type: ignore[attr-defined]
    print(summary("  of which: touch -> message at the pager", [a for a, _ in split]))
    print(summary("  of which: pager handoff -> ring callback", [b for _, b in split]))
    print("samples (ms):", " ".join(f"{s:.0f}" for s in real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
