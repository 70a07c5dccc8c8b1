"""What the benches share: a store with extra provisioned devices, the hub as its own process,
percentiles, memory, and the recorded event ids in the hub's database."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from broker.provision import provision
from broker.registry import Device, Registry
from tests.support.store import Store

ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 1,000 samples is the 990th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def latency_line(name: str, samples_ms: list[float]) -> str:
    if not samples_ms:
        return f"{name:48} n=   0"
    return (
        f"{name:48} n={len(samples_ms):5}  p50 {percentile(samples_ms, 0.5):7.2f} ms  "
        f"p99 {percentile(samples_ms, 0.99):7.2f} ms  max {max(samples_ms):7.2f} ms"
    )


@contextmanager
def bench_store(root: Path, extra: Iterable[Device] = ()) -> Iterator[Store]:
    """The demo store plus ``extra`` devices (each with its own password and ACL entry), its
    Mosquitto running on a free loopback port."""
    store = Store(root)
    more = list(extra)
    if more:
        provision(store.settings, store.registry, more)
        store.registry = Registry.load(store.settings.registry_path)
    store.broker.start()
    try:
        yield store
    finally:
        store.close()


class HubProcess:
    """``calmdesk hub --no-broker``: the hub exactly as a store runs it, in its own process."""

    def __init__(self, store: Store, database_url: str, log: Path) -> None:
        self.command = [
            sys.executable,
            "-m",
            "shared.cli",
            "hub",
            "--no-broker",
            "--data-dir",
            str(store.settings.data_dir),
            "--database-url",
            database_url,
        ]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it; returns the time (perf_counter) just before the process was created."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=out, stderr=out)
        return started

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the hub exited with {self.process.returncode}:\n{tail}")


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB, from /proc."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


class EventCounter:
    """Reads the hub's events table: how many rows, and which of the wanted ids are in it."""

    def __init__(self, database_url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(database_url)

    def rows(self) -> int:
        from sqlalchemy import func, select
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from shared.db.models import EventRow

        try:
            with self.engine.connect() as connection:
                return int(connection.execute(select(func.count(EventRow.id))).scalar_one())
        except (OperationalError, ProgrammingError):
            return 0  # no schema yet (the hub migrates as it starts)

    def ids(self, **where: str) -> list[uuid.UUID]:
        """Every recorded event id (duplicates included, if the recorder ever wrote any)."""
        from sqlalchemy import select

        from shared.db.models import EventRow

        query = select(EventRow.event_id).filter_by(**where)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def close(self) -> None:
        self.engine.dispose()


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}"


def env_note() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
