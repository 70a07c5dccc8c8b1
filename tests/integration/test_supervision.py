"""Issue 9, case 9: nothing that dies alone stays dead. Mosquitto killed under a running hub is
restarted by the hub and alerts flow again without a human; a hub thread that dies makes the
hub exit non-zero, so systemd restarts the whole service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.commands import StoreServices, supervise
from broker.mosquitto import BrokerError, MosquittoProcess
from broker.supervisor import BrokerSupervisor
from shared import topics
from shared.courier import Courier
from shared.mqtt_link import MqttLink
from shared.outbox import Outbox
from shared.protocol import AlertRaised
from tests.support.faults import (
    HubCommand,
    broker_pid,
    hub_presence_online,
    kill_broker_by_pid,
    recorded_counts,
)
from tests.support.store import Store, eventually


@pytest.fixture
def idle_store(tmp_path: Path) -> Iterator[Store]:
    """A provisioned store whose broker is left for the hub under test to start."""
    store = Store(tmp_path)
    try:
        yield store
    finally:
        store.close()


def test_broker_killed_under_a_running_hub_is_restarted_and_the_next_alert_is_recorded(
    idle_store: Store, tmp_path: Path
) -> None:
    store = idle_store
    hub = HubCommand(store, no_broker=False).start()
    try:
        eventually(lambda: store.broker.files.pid.exists(), timeout=30)
        online = hub_presence_online(store)
        eventually(online, timeout=30)
        first = kill_broker_by_pid(store)
        eventually(lambda: store.broker.files.pid.exists() and broker_pid(store) != first, 15)

        kiosk = store.device("kiosk-1")
        link = MqttLink(device_id="kiosk-1", password=kiosk.password, address=kiosk.address)
        outbox = Outbox(tmp_path / "kiosk-1.db")
        courier = Courier(link, outbox)
        link.start()
        alert = AlertRaised(store=store.store_id, device="kiosk-1", level="security", counter="C")
        courier.send(alert, topics.kiosk_alert(store.store_id, "kiosk-1"))
        database = f"sqlite:///{store.settings.data_dir / 'calmdesk.db'}"
        eventually(lambda: recorded_counts(database, [alert.event_id])[0] == 1, timeout=30)
        link.stop()
        output = hub.output()
        assert "mosquitto died (killed by signal SIGKILL)" in output
        assert "mosquitto restarted (restart #1)" in output
    finally:
        assert hub.stop() == 0, hub.output()[-3000:]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_recorder_thread_stops_the_hub_with_a_failure_code(idle_store: Store) -> None:
    services = StoreServices(idle_store.settings)
    services.start()
    try:
        stop = threading.Event()
        assert services.problems() == []
        services.hub._inbox.put("not a message")  # type: ignore[arg-type]  # a bug kills it
        result: list[int] = []
        watcher = threading.Thread(target=lambda: result.append(supervise(services, stop, 0.1)))
        watcher.start()
        watcher.join(10)
        assert result == [1]
        assert services.problems() == ["hub thread recorder died"]
    finally:
        services.stop()


def test_a_broker_that_will_not_start_again_makes_the_supervisor_give_up(
    idle_store: Store,
) -> None:
    broker = MosquittoProcess(idle_store.broker.files, "127.0.0.1", idle_store.port)
    broker.start()
    supervisor = BrokerSupervisor(broker, min_delay_s=0.05, max_delay_s=0.1, give_up_after=2)
    supervisor.start()
    try:
        config = broker.files.config
        config.write_text(config.read_text() + "\nno_such_option true\n")
        broker.kill()
        eventually(lambda: supervisor.problem is not None, timeout=20)
        assert "would not start again after 2 attempts" in str(supervisor.problem)
        assert not supervisor.alive and supervisor.restarts == 0
    finally:
        supervisor.stop()
        broker.stop()


def test_start_reports_a_broken_config_at_once_instead_of_waiting(idle_store: Store) -> None:
    config = idle_store.broker.files.config
    config.write_text(config.read_text() + "\nno_such_option true\n")
    broker = MosquittoProcess(idle_store.broker.files, "127.0.0.1", idle_store.port)
    with pytest.raises(BrokerError, match=r"exited with code|no_such_option"):
        broker.start(timeout=30)
