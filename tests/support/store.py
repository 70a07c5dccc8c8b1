"""A real store for integration tests: Mosquitto on a free loopback port with generated
credentials and ACL, plus helpers to connect as any provisioned device."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from broker.mosquitto import MosquittoProcess, free_port
from broker.provision import broker_files, provision_demo
from broker.registry import Registry
from shared.mqtt_link import BrokerAddress, LinkEvent, MqttLink, PublishOutcome, Received
from shared.settings import DeviceConfig, HubSettings, device_file


@dataclass
class Inbox:
    """Collects what a test client receives, thread-safely."""

    items: queue.Queue[Received] = field(default_factory=queue.Queue)

    def __call__(self, received: Received) -> None:
        self.items.put(received)

    def get(
        self, timeout: float = 5.0, where: Callable[[Received], bool] = lambda r: True
    ) -> Received:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("nothing matching arrived in time")
            try:
                item = self.items.get(timeout=remaining)
            except queue.Empty:
                raise AssertionError("nothing matching arrived in time") from None
            if where(item):
                return item

    def drain(self, wait: float = 0.3) -> list[Received]:
        time.sleep(wait)
        out = []
        while not self.items.empty():
            out.append(self.items.get_nowait())
        return out


class Store:
    """Demo store provisioned into a temp folder, with its broker process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.settings = HubSettings(data_dir=root / "var", broker_port=self.port)
        provision_demo(self.settings, port=self.port)
        self.registry = Registry.load(self.settings.registry_path)
        self.broker = MosquittoProcess(broker_files(self.settings), "127.0.0.1", self.port)
        self._links: list[MqttLink] = []

    @property
    def store_id(self) -> str:
        return self.registry.store

    def device(self, device_id: str) -> DeviceConfig:
        return DeviceConfig.load(device_file(self.settings, device_id))

    def link(
        self,
        device_id: str,
        *,
        subscriptions: tuple[str, ...] = (),
        password: str | None = None,
        wait: bool = True,
        **options: object,
    ) -> tuple[MqttLink, Inbox, list[LinkEvent]]:
        config = self.device(device_id)
        inbox = Inbox()
        events: list[LinkEvent] = []
        link = MqttLink(
            device_id=device_id,
            password=password if password is not None else config.password,
            address=BrokerAddress("127.0.0.1", self.port),
            subscriptions=subscriptions,
            on_received=inbox,
            on_link_event=events.append,
            **options,  # type: ignore[arg-type]
        )
        link.start()
        self._links.append(link)
        if wait:
            assert link.wait_connected(5), f"{device_id} could not connect: {events}"
            assert link.wait_subscribed(5), f"{device_id}: subscriptions not granted: {events}"
        return link, inbox, events

    def close(self) -> None:
        for link in self._links:
            try:
                link.stop(timeout=0.5)
            except Exception:  # noqa: S110 (best effort at teardown)
                pass
        self.broker.stop()


def publish_and_wait(
    link: MqttLink, topic: str, payload: bytes, timeout: float = 5.0
) -> PublishOutcome:
    outcomes: queue.Queue[PublishOutcome] = queue.Queue()
    link.publish(topic, payload, on_outcome=outcomes.put)
    return outcomes.get(timeout=timeout)


@contextmanager
def running_store(root: Path) -> Iterator[Store]:
    store = Store(root)
    store.broker.start()
    try:
        yield store
    finally:
        store.close()


def eventually(check: Callable[[], object], timeout: float = 5.0, interval: float = 0.02) -> object:
    """Poll until ``check`` returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value: {value!r})")
        time.sleep(interval)
        value = check()
    return value
