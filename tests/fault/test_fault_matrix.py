"""Issue 9, the fault matrix: each row injects one fault under a steady alert load through a
kiosk's real send path (outbox → MQTT link), then counts, in the hub's database, what was sent,
recorded, lost and duplicated. Lost 0 and duplicated 0 in every row. The table is printed at
the end of the session (tests/fault/conftest.py) and copied into docs/RELIABILITY.md.

Every row sends drill alerts, each raised then cancelled at once, so no ladder keeps running.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from broker.commands import StoreServices
from broker.supervisor import BrokerSupervisor
from shared.mqtt_link import BrokerAddress
from shared.settings import HubSettings, device_file
from tests.support.faults import (
    RESULTS,
    AlertLoad,
    FaultRow,
    HubCommand,
    Timer,
    hub_presence_online,
    kill_broker_by_pid,
    wait_recorded,
)
from tests.support.postgres import PostgresServer
from tests.support.store import Store, eventually
from tests.support.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
RATE_HZ = 4.0  # alert pairs per second: 8 events/s, far above any store's real rate
BROKER_KILLS = 10
KIOSK_KILLS = 50
HUB_KILLS = 2
PG_OUTAGE_S = 30.0


def _report(row: FaultRow) -> None:
    RESULTS.append(row)
    print(f"\n{row}")
    assert row.sent > 0
    assert (row.lost, row.duplicated) == (0, 0), row


@pytest.fixture
def idle_store(tmp_path: Path) -> Iterator[Store]:
    """A provisioned demo store; its broker is started by the test (or by the hub)."""
    store = Store(tmp_path)
    try:
        yield store
    finally:
        store.close()


def test_mosquitto_sigkilled_ten_times_under_load(idle_store: Store, tmp_path: Path) -> None:
    store = idle_store
    services = StoreServices(store.settings)
    assert services.broker is not None
    # the hub's own supervisor, with a short backoff so ten kills fit in the test's time
    services.supervisor = BrokerSupervisor(services.broker, min_delay_s=0.2, max_delay_s=1.0)
    services.start()
    load = AlertLoad(store.device("kiosk-1"), tmp_path / "kiosk-1.db")
    timer = Timer()
    try:
        load.start(RATE_HZ)
        for kill in range(BROKER_KILLS):
            time.sleep(random.uniform(0.5, 1.5))
            kill_broker_by_pid(store)
            supervisor = services.supervisor
            eventually(lambda k=kill, s=supervisor: s.restarts == k + 1, timeout=30)
        time.sleep(1.0)
        load.stop_sending()
        recorded, lost, dup = wait_recorded(services.database_url, load, timeout=60)
        assert services.problems() == []
    finally:
        load.close()
        services.stop()
    _report(
        FaultRow(
            f"Mosquitto SIGKILL x{BROKER_KILLS} (hub restarts it)",
            len(load.sent),
            recorded,
            lost,
            dup,
            timer.seconds,
            f"{services.supervisor.restarts} restarts",
        )
    )


def test_kiosk_sigkilled_between_tap_and_publish(store: Store, tmp_path: Path) -> None:
    services = StoreServices(store.settings, with_broker=False)
    services.start()
    outbox = tmp_path / "kiosk-1.db"
    command = [sys.executable, "-m", "tests.support.fault_kiosk"]
    command += [str(device_file(store.settings, "kiosk-1")), str(outbox)]
    sent: list[str] = []
    timer = Timer()
    try:
        for run in range(KIOSK_KILLS):
            variant = "queued" if run % 2 == 0 else "published"
            died = subprocess.run(
                [*command, variant],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert died.returncode == -9, died.stderr
            sent += died.stdout.split()
        restarted = AlertLoad(store.device("kiosk-1"), outbox).resume_only()
        restarted.sent = [uuid.UUID(s) for s in sent]
        recorded, lost, dup = wait_recorded(services.database_url, restarted, timeout=60)
        restarted.close()
    finally:
        services.stop()
    _report(
        FaultRow(
            f"kiosk SIGKILL between tap and publish x{KIOSK_KILLS}",
            len(sent),
            recorded,
            lost,
            dup,
            timer.seconds,
            "half before publish(), half after",
        )
    )


def test_hub_sigkilled_under_load(store: Store, tmp_path: Path) -> None:
    online = hub_presence_online(store)
    hub = HubCommand(store, no_broker=True).start()
    load = AlertLoad(store.device("kiosk-1"), tmp_path / "kiosk-1.db")
    timer = Timer()
    try:
        eventually(online, timeout=30)
        load.start(RATE_HZ)
        for _ in range(HUB_KILLS):
            time.sleep(random.uniform(1.0, 2.0))
            hub.kill()
            time.sleep(0.5)  # the load goes on with the hub dead
            hub = HubCommand(store, no_broker=True).start()
            eventually(online, timeout=30)
        time.sleep(1.0)
        load.stop_sending()
        recorded, lost, dup = wait_recorded(store.settings.resolved_database_url(), load, 60)
    finally:
        load.close()
        assert hub.stop() == 0
    _report(
        FaultRow(
            f"hub SIGKILL x{HUB_KILLS} under load",
            len(load.sent),
            recorded,
            lost,
            dup,
            timer.seconds,
            "restarted as `calmdesk hub`",
        )
    )


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_stopped_for_30_seconds_under_load(
    store: Store, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    name = f"fault_{os.getpid()}"
    admin = sqlalchemy.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    settings = HubSettings(data_dir=store.settings.data_dir, database_url=url)
    services = StoreServices(settings, with_broker=False)
    services.start()
    load = AlertLoad(store.device("kiosk-1"), tmp_path / "kiosk-1.db")
    timer = Timer()
    try:
        assert services.hub.schema_ready.wait(30)
        load.start(RATE_HZ)
        time.sleep(2.0)
        postgres_server.stop_server()
        time.sleep(PG_OUTAGE_S)
        postgres_server.start_server()
        time.sleep(2.0)
        load.stop_sending()
        recorded, lost, dup = wait_recorded(url, load, timeout=90)
    finally:
        load.close()
        services.stop()
    _report(
        FaultRow(
            f"PostgreSQL stopped {PG_OUTAGE_S:.0f} s under load",
            len(load.sent),
            recorded,
            lost,
            dup,
            timer.seconds,
        )
    )


def test_network_partition_between_kiosk_and_broker(store: Store, tmp_path: Path) -> None:
    services = StoreServices(store.settings, with_broker=False)
    services.start()
    proxy = TcpProxy(store.port)
    load = AlertLoad(
        store.device("kiosk-1"),
        tmp_path / "kiosk-1.db",
        address=BrokerAddress("127.0.0.1", proxy.port),
        keepalive_s=2,  # a half-open link is noticed after 1.5 keep-alives
    )
    timer = Timer()
    phases = [("pass", 0.0, 2), ("drop", 0.0, 3), ("pass", 0.0, 2), ("delay", 0.3, 3)]
    phases += [("pass", 0.0, 1), ("blackhole", 0.0, 6), ("pass", 0.0, 2)]
    try:
        load.start(RATE_HZ)
        for mode, delay, seconds in phases:
            proxy.set_mode(mode, delay)  # type: ignore[arg-type]
            time.sleep(seconds)
        load.stop_sending()
        recorded, lost, dup = wait_recorded(services.database_url, load, timeout=60)
    finally:
        load.close()
        proxy.close()
        services.stop()
    _report(
        FaultRow(
            "partition kiosk-broker: drop, delay 300 ms, half-open",
            len(load.sent),
            recorded,
            lost,
            dup,
            timer.seconds,
            f"{proxy.connections} TCP connections",
        )
    )
