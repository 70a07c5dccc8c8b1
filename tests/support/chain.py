"""Stores of a chain for cluster tests: each with its own Mosquitto, a hub process that
forwards to head office through its own WAN link, and a kiosk sending a steady load."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from broker.mosquitto import MosquittoProcess, free_port
from broker.provision import DEMO_DEVICES, broker_files, provision
from broker.registry import Registry
from shared import topics
from shared.mqtt_link import BrokerAddress, MqttLink, PublishOutcome
from shared.protocol import AlertCancelled, AlertRaised, encode
from shared.settings import DeviceConfig, HubSettings, device_file
from tests.support.wan_proxy import WanProxy

REPO = Path(__file__).resolve().parents[2]


class ChainStore:
    """One store: broker, hub process (forwarding through ``wan``) and its database."""

    def __init__(self, root: Path, store_id: str, central_port: int) -> None:
        self.store_id = store_id
        self.root = root
        port = free_port()
        self.settings = HubSettings(data_dir=root / "var", broker_port=port)
        registry = Registry(
            store=store_id, store_name=f"Store {store_id}", emergency_number="112", broker_port=port
        )
        provision(self.settings, registry, list(DEMO_DEVICES))
        self.broker = MosquittoProcess(broker_files(self.settings), "127.0.0.1", port)
        self.wan = WanProxy(central_port)
        self.hub: subprocess.Popen[bytes] | None = None
        self.hub_starts = 0

    def central_url(self, password: str) -> str:
        return f"postgresql+psycopg://postgres:{password}@127.0.0.1:{self.wan.port}/postgres"

    @property
    def database_url(self) -> str:
        return self.settings.resolved_database_url()

    def device(self, device_id: str) -> DeviceConfig:
        return DeviceConfig.load(device_file(self.settings, device_id))

    def start(self, password: str) -> None:
        self.broker.start()
        self.wan.start()
        self.start_hub(password)
        self.wait_hub_subscribed()

    def wait_hub_subscribed(self, timeout: float = 30) -> None:
        """Until the hub has recorded its own presence: its broker session and subscriptions
        exist from then on, so nothing a kiosk sends later can miss it (a session that has
        never existed cannot queue anything)."""
        deadline = time.monotonic() + timeout
        path = self.settings.data_dir / "calmdesk.db"
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
                        row = db.execute(
                            "SELECT 1 FROM events WHERE type = 'presence' AND device = 'hub'"
                        ).fetchone()
                    if row:
                        return
                except sqlite3.Error:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.store_id}: the hub did not subscribe; see {self.root}/hub.log")

    def start_hub(self, password: str) -> None:
        env = {**os.environ, "CALMDESK_CENTRAL_URL": self.central_url(password)}
        log = (self.root / "hub.log").open("ab")
        self.hub = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "hub",
                "--no-broker",
                "--data-dir",
                str(self.settings.data_dir),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.hub_starts += 1

    def kill_hub(self) -> None:
        """SIGKILL: no clean shutdown, no last write."""
        if self.hub is not None and self.hub.poll() is None:
            self.hub.send_signal(signal.SIGKILL)
            self.hub.wait(10)

    def stop(self) -> None:
        if self.hub is not None and self.hub.poll() is None:
            self.hub.send_signal(signal.SIGTERM)
            try:
                self.hub.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_hub()
        self.wan.close()
        self.broker.stop()


@dataclass
class KioskLoad:
    """A kiosk raising and cancelling alerts at ``rate`` events/s; remembers which events the
    store broker acknowledged (a PUBACK: the store has it and must never lose it)."""

    store: ChainStore
    rate: float = 5.0
    acked: dict[uuid.UUID, float] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _link: MqttLink | None = None
    _sent: int = 0

    def start(self) -> KioskLoad:
        config = self.store.device("kiosk-1")
        self._link = MqttLink(
            device_id=config.device,
            password=config.password,
            address=BrokerAddress("127.0.0.1", config.broker_port),
        )
        self._link.start()
        if not self._link.wait_connected(10):
            raise RuntimeError(f"{self.store.store_id}: kiosk-1 could not connect")
        self._thread = threading.Thread(target=self._run, name="kiosk-load", daemon=True)
        self._thread.start()
        return self

    def stop(self, settle: float = 10.0) -> None:
        """Stop sending; wait until every publish has its answer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.acked) + len(self.refused) >= self._sent:
                    break
            time.sleep(0.05)
        if self._link is not None:
            self._link.stop()

    def acked_ids(self) -> set[uuid.UUID]:
        with self._lock:
            return set(self.acked)

    def _outcome(self, event_id: uuid.UUID):  # type: ignore[no-untyped-def]
        def record(outcome: PublishOutcome) -> None:
            with self._lock:
                if outcome.ok:
                    self.acked[event_id] = time.time()
                else:
                    self.refused.append(outcome.reason)

        return record

    def _send(self, message: AlertRaised | AlertCancelled) -> None:
        assert self._link is not None
        with self._lock:
            self._sent += 1
        topic = topics.kiosk_alert(self.store.store_id, "kiosk-1")
        self._link.publish(topic, encode(message), on_outcome=self._outcome(message.event_id))

    def _run(self) -> None:
        interval = 1.0 / self.rate
        store = self.store.store_id
        while not self._stop.is_set():
            raised = AlertRaised(
                store=store, device="kiosk-1", level="manager", counter="Counter 1", drill=True
            )
            self._send(raised)
            if self._stop.wait(interval):
                break
            self._send(
                AlertCancelled(
                    store=store,
                    device="kiosk-1",
                    alert_id=raised.alert_id,
                    reason="false_alarm",
                    drill=True,
                )
            )
            self._stop.wait(interval)
