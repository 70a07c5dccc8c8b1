"""Attackers and victims for the payload-trust tests (issue 9).

Attackers are third-party clients: ``mosquitto_pub`` / ``mosquitto_sub`` with one device's own
valid credentials. Victims are the apps' real receive path: a :class:`DeviceRuntime` wired to a
pager's :class:`PagerCore` (as staff_app/app.py wires it) or to a kiosk's view-model
(kiosk/wiring.py), with a queue standing in for the UI thread.
"""

from __future__ import annotations

import queue
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from broker.hub import Hub
from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from kiosk.wiring import wire_kiosk
from shared.alerts.policy import Policy
from shared.device_runtime import DeviceRuntime
from shared.mqtt_link import LinkEvent, LinkState
from shared.protocol import Message, encode, utc_now
from staff_app.domain.clock import FakeClock
from staff_app.domain.pager import Holder, PagerCore, pager_subscriptions
from staff_app.domain.ring import RecordingAudio, RingController
from tests.support.store import Store


class UiThread:
    """A dispatcher that queues callbacks; :meth:`run` plays the UI loop on the test thread."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self.calls.put(fn)

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.calls.get(timeout=min(left, 0.02))()
            except queue.Empty:
                pass

    def until(self, check: Callable[[], object], timeout: float = 5.0) -> object:
        deadline = time.monotonic() + timeout
        while not (value := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            self.run(0.02)
        return value


@dataclass
class PagerVictim:
    runtime: DeviceRuntime
    core: PagerCore
    ui: UiThread


@dataclass
class KioskVictim:
    runtime: DeviceRuntime
    vm: KioskViewModel
    ui: UiThread


def start_pager(store: Store, device: str, data_dir: Path) -> PagerVictim:
    """A pager's receive path, connected, with the hub's roster already in (if a hub runs)."""
    config = store.device(device)
    ui = UiThread()
    clock = FakeClock(start=utc_now())
    holder = Holder(config.device, config.store, config.role, config.display_name)  # type: ignore[arg-type]
    sent: list[tuple[Message, str]] = []
    core = PagerCore(
        holder,
        send=lambda message, topic: sent.append((message, topic)),
        scheduler=clock,
        ring=RingController(RecordingAudio(), clock),
    )

    def on_link(event: LinkEvent) -> None:
        if event.state is LinkState.ONLINE:
            core.link_up()

    runtime = DeviceRuntime(
        config,
        data_dir,
        subscriptions=pager_subscriptions(config.store),
        on_message=core.receive,
        on_link=on_link,
        dispatch=ui,
        owner_of=core.owner_of,
    )
    runtime.start()
    assert runtime.link.wait_subscribed(5), f"{device} did not subscribe"
    return PagerVictim(runtime, core, ui)


def start_kiosk(store: Store, device: str, data_dir: Path) -> KioskVictim:
    ui = UiThread()
    vm, runtime = wire_kiosk(store.device(device), data_dir, KioskSettings(), dispatch=ui)
    runtime.start()
    assert runtime.link.wait_subscribed(5), f"{device} did not subscribe"
    return KioskVictim(runtime, vm, ui)


def start_hub(store: Store, database_url: str, policy: Policy | None = None) -> Hub:
    """The hub with the store's registry as its roster (as `calmdesk hub` runs it)."""
    hub = Hub(
        store.device("hub"),
        database_url,
        policy=policy,
        registry_path=store.settings.registry_path,
    )
    hub.start()
    assert hub.link.wait_subscribed(5)
    return hub


def wait_for_roster(*victims: PagerVictim | KioskVictim) -> None:
    for victim in victims:
        victim.ui.until(lambda v=victim: v.runtime.roster.known)  # type: ignore[misc]


def client_args(store: Store, device: str) -> list[str]:
    config = store.device(device)
    return [
        "-h",
        "127.0.0.1",
        "-p",
        str(store.port),
        "-u",
        device,
        "-P",
        config.password,
        "-i",
        device,
        "-V",
        "mqttv5",
    ]


def attack(
    store: Store, device: str, topic: str, payload: bytes | Message, *, retain: bool = False
) -> None:
    """Publish as ``device`` with mosquitto_pub (QoS 1), as anyone holding its file could."""
    data = encode(payload) if isinstance(payload, Message) else payload
    args = ["mosquitto_pub", *client_args(store, device), "-t", topic, "-q", "1", "-s"]
    if retain:
        args.append("-r")
    done = subprocess.run(args, input=data, capture_output=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def connect_with_will(store: Store, device: str, topic: str, payload: bytes) -> subprocess.Popen:  # type: ignore[type-arg]
    """A mosquitto_sub holding ``device``'s session with a retained Last Will; kill it with
    SIGKILL and the broker publishes the will."""
    args = [
        "mosquitto_sub",
        *client_args(store, device),
        "-t",
        "calmdesk/none",
        "-k",
        "5",
        "--will-topic",
        topic,
        "--will-payload",
        payload.decode(),
        "--will-qos",
        "1",
        "--will-retain",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
