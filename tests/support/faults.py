"""Fault-injection helpers: a kiosk's real send path under steady load, a hub run as the real
command, and the sent / recorded / lost / duplicated count that every fault-matrix row reports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from shared import topics
from shared.courier import Courier
from shared.mqtt_link import BrokerAddress, MqttLink
from shared.outbox import Outbox
from shared.protocol import AlertCancelled, AlertRaised
from shared.settings import DeviceConfig
from tests.support.store import Store, eventually

ROOT = Path(__file__).resolve().parents[2]
RESULTS: list[FaultRow] = []  # collected for the table printed at the end of the session


@dataclass
class FaultRow:
    fault: str
    sent: int
    recorded: int
    lost: int
    duplicated: int
    seconds: float
    note: str = ""


def format_table(rows: list[FaultRow]) -> str:
    head = f"{'fault':52} {'sent':>6} {'recorded':>8} {'lost':>5} {'dup':>4} {'s':>6}  note"
    lines = [head, "-" * len(head)]
    lines += [
        f"{r.fault:52} {r.sent:6d} {r.recorded:8d} {r.lost:5d} {r.duplicated:4d} "
        f"{r.seconds:6.1f}  {r.note}"
        for r in rows
    ]
    return "\n".join(lines)


class AlertLoad:
    """A kiosk raising and cancelling drill alerts at a steady rate through its outbox.

    Every event goes outbox → link, exactly as the kiosk app sends it; ``sent`` holds the event
    ids the outbox accepted (the kiosk was told "queued"), in order.
    """

    def __init__(
        self,
        config: DeviceConfig,
        outbox: Path,
        *,
        address: BrokerAddress | None = None,
        keepalive_s: int = 10,
    ) -> None:
        self.config = config
        self.link = MqttLink(
            device_id=config.device,
            password=config.password,
            address=address or config.address,
            keepalive_s=keepalive_s,
        )
        self.outbox = Outbox(outbox)
        self.courier = Courier(self.link, self.outbox)
        self.sent: list[uuid.UUID] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._topic = topics.kiosk_alert(config.store, config.device)

    def start(self, rate_hz: float) -> AlertLoad:
        self.link.start()
        self.courier.resume()
        self._thread = threading.Thread(target=self._run, args=(rate_hz,), daemon=True)
        self._thread.start()
        return self

    def resume_only(self) -> AlertLoad:
        """Start as a restarted kiosk: send what earlier runs left in the outbox, nothing new."""
        self.link.start()
        self.courier.resume()
        return self

    def _run(self, rate_hz: float) -> None:
        while not self._stop.wait(1.0 / rate_hz):
            self.send_pair()

    def send_pair(self) -> None:
        """One alert raised, then cancelled: two events, and no ladder left running."""
        cfg = self.config
        raised = AlertRaised(
            store=cfg.store, device=cfg.device, level="manager", counter="Load", drill=True
        )
        cancel = AlertCancelled(
            store=cfg.store,
            device=cfg.device,
            alert_id=raised.alert_id,
            reason="false_alarm",
            drill=True,
        )
        for message in (raised, cancel):
            self.courier.send(message, self._topic)
            self.sent.append(message.event_id)

    def stop_sending(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def drained(self) -> bool:
        return self.outbox.count() == 0

    def close(self) -> None:
        self.stop_sending()
        self.courier.close()
        self.link.stop(timeout=1.0)
        self.outbox.close()


def recorded_counts(database_url: str, event_ids: list[uuid.UUID]) -> tuple[int, int, int]:
    """(recorded, lost, duplicated) for these event ids in the hub's database.

    Duplicated counts the same alert change recorded under more than one event (the same
    (alert, type) twice), which the unique event id alone would not catch.
    """
    wanted = {e.hex for e in event_ids}
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT event_id, alert_id, type FROM events WHERE device <> 'hub'")
            ).all()
    finally:
        engine.dispose()
    seen = {_hex(row[0]) for row in rows}
    recorded = len(wanted & seen)
    changes = Counter((_hex(row[1]), row[2]) for row in rows if _hex(row[0]) in wanted)
    duplicated = sum(n - 1 for n in changes.values() if n > 1)
    return recorded, len(wanted - seen), duplicated


def _hex(value: object) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def wait_recorded(database_url: str, load: AlertLoad, timeout: float) -> tuple[int, int, int]:
    """Wait until the outbox is empty and every sent event is in the database (or time-out)."""
    result: list[tuple[int, int, int]] = []

    def done() -> bool:
        if not load.drained():
            return False
        try:
            result[:] = [recorded_counts(database_url, load.sent)]
        except Exception:  # the hub has not created its schema yet, or PG is still down
            return False
        return result[0][1] == 0

    try:
        eventually(done, timeout=timeout, interval=0.5)
    except AssertionError:
        pass
    return result[0] if result else (0, len(load.sent), 0)


class HubCommand:
    """``calmdesk hub`` as systemd runs it: its own process, its output in a log file."""

    def __init__(self, store: Store, *, no_broker: bool, database_url: str | None = None) -> None:
        self.store = store
        self.no_broker = no_broker
        self.database_url = database_url
        self.log = store.root / f"hub-{int(time.time() * 1000)}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> HubCommand:
        command = [sys.executable, "-m", "shared.cli", "hub"]
        command += ["--data-dir", str(self.store.settings.data_dir)]
        if self.no_broker:
            command.append("--no-broker")
        if self.database_url:
            command += ["--database-url", self.database_url]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def hub_presence_online(store: Store) -> Callable[[], bool]:
    """A check that turns true once the hub announces itself online (after each restart)."""
    from shared.protocol import Presence, decode

    _, inbox, _ = store.link(
        "console", subscriptions=(topics.status(store.store_id, "hub", "hub"),)
    )

    def check() -> bool:
        return any(
            isinstance(m := decode(r.payload), Presence) and m.online for r in inbox.drain(0.05)
        )

    return check


def broker_pid(store: Store) -> int:
    return int(store.broker.files.pid.read_text().strip())


def kill_broker_by_pid(store: Store) -> int:
    """SIGKILL the Mosquitto a hub process started (found through its pid file)."""
    pid = broker_pid(store)
    os.kill(pid, signal.SIGKILL)
    return pid


@dataclass
class Timer:
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started
